// Seam: the startup model check.
//
// Contract: CheckModelOps() runs before the interpreter is built: the flatbuffer's schema version and
// every op it uses must be in op_resolver.h, and FULLY_CONNECTED weights must have one scale (this
// TFLM ignores all but the first of per-channel ones). CheckModelTensors() runs after
// AllocateTensors(): the input
// must be int8 [1, kFeatureFrames, kFeatureBins, 1] with the scale and zero point of model_settings.h,
// the output int8 [1, kLabelCount]. On a mismatch each writes a one-line reason into `error` (for the
// `E model ...` line and the screen) and returns false; the sketch then keeps serving the serial port
// (audio and feature streams still work) instead of hanging.

#ifndef WAKEBENCH_MODEL_CHECK_H_
#define WAKEBENCH_MODEL_CHECK_H_

#include "tensorflow/lite/micro/micro_interpreter.h"
#include "tensorflow/lite/schema/schema_generated.h"

bool CheckModelOps(const tflite::Model* model, char* error, int error_size);
bool CheckModelTensors(tflite::MicroInterpreter* interpreter, char* error,
                       int error_size);

#endif  // WAKEBENCH_MODEL_CHECK_H_
