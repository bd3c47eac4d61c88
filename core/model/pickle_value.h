// PickleValue: the objects a Python pickle describes, as far as the strict
// interpreter in pickle_reader.h builds them.
//
// Values live in a PickleArena and refer to each other by raw pointer, so
// shared and even cyclic structures (which the pickle memo can express)
// cost nothing to hold and nothing to free. A value stays valid as long as
// its arena.
//
// Thread safety: none; an arena and its values belong to one thread.
#ifndef FACET_CORE_MODEL_PICKLE_VALUE_H_
#define FACET_CORE_MODEL_PICKLE_VALUE_H_

#include <cstdint>
#include <deque>
#include <string>
#include <utility>
#include <vector>

namespace facet {

enum class PickleKind {
  kNone,
  kBool,
  kInt,   // Fits in int64.
  kLong,  // A wider integer: `text` holds its little-endian two's
          // complement bytes, as LONG1 and LONG4 carry them.
  kFloat,
  kString,  // A Python str, as UTF-8 in `text`.
  kBytes,   // A Python bytes object, in `text`.
  kTuple,   // `items`.
  kList,    // `items`.
  kDict,    // `entries`, in insertion order, duplicates kept.
  kGlobal,  // A class or function named "module.name" in `text`.
  kObject,  // Made by a PickleResolver: `text` is its tag, `integer` a
            // handle of the resolver's choosing.
};

struct PickleValue {
  explicit PickleValue(PickleKind k) : kind(k) {}

  PickleKind kind;
  bool boolean = false;
  int64_t integer = 0;
  double real = 0;
  std::string text;
  std::vector<PickleValue*> items;
  std::vector<std::pair<PickleValue*, PickleValue*>> entries;

  // Short name of the kind ("int", "tuple", ...), for error messages.
  const char* KindName() const;
};

// Owns values; addresses are stable until the arena is destroyed.
class PickleArena {
 public:
  PickleArena() = default;
  PickleArena(const PickleArena&) = delete;
  PickleArena& operator=(const PickleArena&) = delete;

  PickleValue* New(PickleKind kind) {
    values_.emplace_back(kind);
    return &values_.back();
  }
  size_t size() const { return values_.size(); }

 private:
  std::deque<PickleValue> values_;
};

}  // namespace facet

#endif  // FACET_CORE_MODEL_PICKLE_VALUE_H_
