// Moves weights between a RawTensorMap (what weight files hold) and a
// FaceParsingNet. Includes LibTorch; for core/model and trainer/ only.
#ifndef FACET_CORE_MODEL_STATE_DICT_H_
#define FACET_CORE_MODEL_STATE_DICT_H_

#include "core/model/face_parsing_net.h"
#include "core/model/model_status.h"
#include "core/model/raw_tensor.h"

namespace facet {

// Copies `tensors` into `net` strictly: the key set and every shape must
// be exactly the network's (CheckStateDictShapes). Float tensors of any
// width are converted to the parameter's dtype. On error `net` is left
// unchanged and the status names the key and both shapes.
ModelStatus LoadStateDict(const RawTensorMap& tensors, FaceParsingNet& net);

// Every parameter and buffer of `net` as contiguous CPU tensors (float32;
// num_batches_tracked int64).
RawTensorMap ExtractStateDict(FaceParsingNet& net);

// Tensor <-> RawTensor, contiguous on the CPU.
RawTensor ToRawTensor(const torch::Tensor& tensor);
ModelResult<torch::Tensor> FromRawTensor(const RawTensor& raw);

}  // namespace facet

#endif  // FACET_CORE_MODEL_STATE_DICT_H_
