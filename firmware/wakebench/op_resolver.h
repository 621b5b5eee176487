// Seam: the ops the firmware can run. A static resolver that registers only these (no heap, small flash).
//
// Contract: kFirmwareOps lists every builtin op RegisterFirmwareOps() adds; core/board/firmware_files.py's
// FIRMWARE_OPS must list the same names (tests/firmware checks), so export refuses any model that
// needs another op, and CheckModelOps() names the missing op on a board that gets one anyway.

#ifndef WAKEBENCH_OP_RESOLVER_H_
#define WAKEBENCH_OP_RESOLVER_H_

#include "tensorflow/lite/micro/micro_mutable_op_resolver.h"
#include "tensorflow/lite/schema/schema_generated.h"

constexpr tflite::BuiltinOperator kFirmwareOps[] = {
    tflite::BuiltinOperator_AVERAGE_POOL_2D,
    tflite::BuiltinOperator_CONV_2D,
    tflite::BuiltinOperator_DEPTHWISE_CONV_2D,
    tflite::BuiltinOperator_FULLY_CONNECTED,
    tflite::BuiltinOperator_MAX_POOL_2D,
    tflite::BuiltinOperator_RESHAPE,
    tflite::BuiltinOperator_SOFTMAX,
};
constexpr int kFirmwareOpCount = sizeof(kFirmwareOps) / sizeof(kFirmwareOps[0]);

using FirmwareOpResolver = tflite::MicroMutableOpResolver<kFirmwareOpCount>;

inline TfLiteStatus RegisterFirmwareOps(FirmwareOpResolver* resolver) {
  if (resolver->AddAveragePool2D() != kTfLiteOk) return kTfLiteError;
  if (resolver->AddConv2D() != kTfLiteOk) return kTfLiteError;
  if (resolver->AddDepthwiseConv2D() != kTfLiteOk) return kTfLiteError;
  if (resolver->AddFullyConnected() != kTfLiteOk) return kTfLiteError;
  if (resolver->AddMaxPool2D() != kTfLiteOk) return kTfLiteError;
  if (resolver->AddReshape() != kTfLiteOk) return kTfLiteError;
  if (resolver->AddSoftmax() != kTfLiteOk) return kTfLiteError;
  return kTfLiteOk;
}

#endif  // WAKEBENCH_OP_RESOLVER_H_
