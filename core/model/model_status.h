// ModelStatus and ModelResult<T>: the error type of facet_model.
//
// facet_model depends only on LibTorch and the standard library, so it cannot
// use absl::Status. ModelStatus is a code plus a message, in the manner of
// leveldb::Status; the codes mirror absl's so that core/status can convert
// one-to-one. No exception leaves facet_model: c10::Error and friends are
// caught at its boundary and become a ModelStatus.
//
// Thread safety: const methods may be called concurrently.
#ifndef FACET_CORE_MODEL_MODEL_STATUS_H_
#define FACET_CORE_MODEL_MODEL_STATUS_H_

#include <optional>
#include <string>
#include <utility>

#include "core/io/io_status.h"

namespace facet {

// Values match absl::StatusCode; do not renumber.
enum class ModelErrorCode {
  kOk = 0,
  kInvalidArgument = 3,
  kNotFound = 5,
  kAlreadyExists = 6,
  kPermissionDenied = 7,
  kFailedPrecondition = 9,
  kOutOfRange = 11,
  kResourceExhausted = 8,
  kUnimplemented = 12,
  kInternal = 13,
  kDataLoss = 15,
};

class ModelStatus {
 public:
  ModelStatus() = default;  // OK.
  // `system_errno`: the failed system call's errno, 0 when there was none
  // (see IoStatus).
  ModelStatus(ModelErrorCode code, std::string message, int system_errno = 0)
      : code_(code),
        message_(std::move(message)),
        system_errno_(system_errno) {}

  static ModelStatus Ok() { return ModelStatus(); }
  // The same code, message and errno (IoCode's values are ModelErrorCode's).
  static ModelStatus FromIoStatus(const IoStatus& status) {
    return {static_cast<ModelErrorCode>(status.code()), status.message(),
            status.system_errno()};
  }
  static ModelStatus InvalidArgument(std::string m) {
    return {ModelErrorCode::kInvalidArgument, std::move(m)};
  }
  static ModelStatus NotFound(std::string m) {
    return {ModelErrorCode::kNotFound, std::move(m)};
  }
  static ModelStatus FailedPrecondition(std::string m) {
    return {ModelErrorCode::kFailedPrecondition, std::move(m)};
  }
  static ModelStatus OutOfRange(std::string m) {
    return {ModelErrorCode::kOutOfRange, std::move(m)};
  }
  static ModelStatus ResourceExhausted(std::string m) {
    return {ModelErrorCode::kResourceExhausted, std::move(m)};
  }
  static ModelStatus Unimplemented(std::string m) {
    return {ModelErrorCode::kUnimplemented, std::move(m)};
  }
  static ModelStatus Internal(std::string m) {
    return {ModelErrorCode::kInternal, std::move(m)};
  }
  static ModelStatus DataLoss(std::string m) {
    return {ModelErrorCode::kDataLoss, std::move(m)};
  }

  bool ok() const { return code_ == ModelErrorCode::kOk; }
  ModelErrorCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // The errno of the failed system call behind this status, or 0.
  int system_errno() const { return system_errno_; }

  // "OK" or "<CODE>: <message>".
  std::string ToString() const;

 private:
  ModelErrorCode code_ = ModelErrorCode::kOk;
  std::string message_;
  int system_errno_ = 0;
};

// Either a value or a non-OK ModelStatus.
template <typename T>
class ModelResult {
 public:
  ModelResult(T value) : value_(std::move(value)) {}  // NOLINT: implicit.
  ModelResult(ModelStatus status)                     // NOLINT: implicit.
      : status_(std::move(status)) {
    if (status_.ok()) status_ = ModelStatus::Internal("ModelResult from OK status");
  }

  bool ok() const { return status_.ok(); }
  const ModelStatus& status() const { return status_; }
  // REQUIRES: ok().
  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  T&& value() && { return std::move(*value_); }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }
  T& operator*() { return *value_; }
  const T& operator*() const { return *value_; }

 private:
  ModelStatus status_;
  std::optional<T> value_;
};

}  // namespace facet

#endif  // FACET_CORE_MODEL_MODEL_STATUS_H_
