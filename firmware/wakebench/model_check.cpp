#include "model_check.h"

#include <math.h>
#include <stdio.h>

#include "model_settings.h"
#include "op_resolver.h"
#include "tensorflow/lite/schema/schema_utils.h"

namespace {

bool IsFirmwareOp(tflite::BuiltinOperator op) {
  for (int i = 0; i < kFirmwareOpCount; ++i) {
    if (kFirmwareOps[i] == op) return true;
  }
  return false;
}

// More than one weight scale on a FULLY_CONNECTED layer: this TFLM applies only the first one.
bool HasPerChannelDenseWeights(const tflite::Model* model) {
  const auto* subgraphs = model->subgraphs();
  if (subgraphs == nullptr) return false;
  for (unsigned int g = 0; g < subgraphs->size(); ++g) {
    const tflite::SubGraph* graph = subgraphs->Get(g);
    if (graph->operators() == nullptr || graph->tensors() == nullptr) continue;
    for (unsigned int i = 0; i < graph->operators()->size(); ++i) {
      const tflite::Operator* op = graph->operators()->Get(i);
      const auto* code = model->operator_codes()->Get(op->opcode_index());
      if (tflite::GetBuiltinCode(code) != tflite::BuiltinOperator_FULLY_CONNECTED) continue;
      if (op->inputs() == nullptr || op->inputs()->size() < 2) continue;
      const tflite::Tensor* weights = graph->tensors()->Get(op->inputs()->Get(1));
      const auto* quantization = weights->quantization();
      if (quantization != nullptr && quantization->scale() != nullptr &&
          quantization->scale()->size() > 1) {
        return true;
      }
    }
  }
  return false;
}

bool HasShape(const TfLiteTensor* tensor, const int* dims, int count) {
  if (tensor->dims == nullptr || tensor->dims->size != count) return false;
  for (int i = 0; i < count; ++i) {
    if (tensor->dims->data[i] != dims[i]) return false;
  }
  return true;
}

}  // namespace

bool CheckModelOps(const tflite::Model* model, char* error, int error_size) {
  if (model == nullptr) {
    snprintf(error, error_size, "no model in flash");
    return false;
  }
  if (model->version() != TFLITE_SCHEMA_VERSION) {
    snprintf(error, error_size, "schema version %d, firmware reads %d",
             static_cast<int>(model->version()), TFLITE_SCHEMA_VERSION);
    return false;
  }
  const auto* codes = model->operator_codes();
  if (codes == nullptr) {
    snprintf(error, error_size, "model lists no operators");
    return false;
  }
  for (unsigned int i = 0; i < codes->size(); ++i) {
    const tflite::BuiltinOperator op = tflite::GetBuiltinCode(codes->Get(i));
    if (op == tflite::BuiltinOperator_CUSTOM) {
      const auto* name = codes->Get(i)->custom_code();
      snprintf(error, error_size, "ops mismatch: custom op %s is not in the firmware",
               name != nullptr ? name->c_str() : "?");
      return false;
    }
    if (!IsFirmwareOp(op)) {
      snprintf(error, error_size,
               "ops mismatch: %s is not in the firmware (re-export with the firmware's ops)",
               tflite::EnumNameBuiltinOperator(op));
      return false;
    }
  }
  if (HasPerChannelDenseWeights(model)) {
    snprintf(error, error_size,
             "FULLY_CONNECTED weights are per-channel; this TFLM uses one scale (re-export)");
    return false;
  }
  return true;
}

bool CheckModelTensors(tflite::MicroInterpreter* interpreter, char* error,
                       int error_size) {
  const TfLiteTensor* input = interpreter->input(0);
  const TfLiteTensor* output = interpreter->output(0);
  if (input == nullptr || output == nullptr) {
    snprintf(error, error_size, "model has no input or output tensor");
    return false;
  }
  const int input_dims[] = {1, kFeatureFrames, kFeatureBins, 1};
  if (input->type != kTfLiteInt8 || !HasShape(input, input_dims, 4)) {
    snprintf(error, error_size,
             "input must be int8 [1,%d,%d,1] (type %d, %d dims)", kFeatureFrames,
             kFeatureBins, static_cast<int>(input->type),
             input->dims != nullptr ? input->dims->size : -1);
    return false;
  }
  if (input->params.zero_point != kInputZeroPoint ||
      fabsf(input->params.scale - kInputScale) > 1e-6f * kInputScale) {
    snprintf(error, error_size,
             "input quantization differs from model_settings.h (regenerate both together)");
    return false;
  }
  const int output_dims[] = {1, kLabelCount};
  if (output->type != kTfLiteInt8 || !HasShape(output, output_dims, 2)) {
    snprintf(error, error_size,
             "output must be int8 [1,%d] for %d labels (regenerate model_settings.h)",
             kLabelCount, kLabelCount);
    return false;
  }
  return true;
}
