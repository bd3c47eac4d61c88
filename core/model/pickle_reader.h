// A minimal, strict pickle interpreter for the subset of the protocol that
// PyTorch state dicts use (protocol 2, plus the few protocol 3 and 4
// opcodes Python emits for the same objects).
//
// Python's unpickler runs arbitrary code: GLOBAL names any callable and
// REDUCE calls it. This one only builds plain values (None, bools, ints,
// floats, str, bytes, tuples, lists, dicts) and hands every decision that
// needs outside knowledge to a PickleResolver: which globals may be named,
// what a persistent id stands for, what calling a global produces and what
// BUILD does. Any other opcode is an error naming the opcode and its
// offset. The memo and the stack are bounded by PickleLimits; since every
// opcode creates at most one value and containers share their members, the
// memory used is linear in the pickle's length.
//
// Thread safety: ReadPickle may be called concurrently with different
// arenas and resolvers.
#ifndef FACET_CORE_MODEL_PICKLE_READER_H_
#define FACET_CORE_MODEL_PICKLE_READER_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "core/model/model_status.h"
#include "core/model/pickle_value.h"

namespace facet {

// The caller's half of unpickling. Errors returned from these methods stop
// the interpreter, which prefixes them with the opcode and offset.
class PickleResolver {
 public:
  virtual ~PickleResolver() = default;

  // GLOBAL / STACK_GLOBAL `module`.`name`: OK lets it become a kGlobal
  // value; an error rejects the pickle.
  virtual ModelStatus FindClass(const std::string& module,
                                const std::string& name) = 0;

  // BINPERSID: returns the object persistent id `pid` stands for.
  virtual ModelResult<PickleValue*> PersistentLoad(PickleArena* arena,
                                                   const PickleValue& pid) = 0;

  // REDUCE: returns `callable`(*`args`), where `callable` is a kGlobal that
  // FindClass accepted, or whatever else the pickle put there, and `args`
  // is a tuple.
  virtual ModelResult<PickleValue*> Reduce(PickleArena* arena,
                                           const PickleValue& callable,
                                           const PickleValue& args) = 0;

  // BUILD: sets the state of `object` (`object.__setstate__(state)`).
  virtual ModelStatus Build(PickleValue* object, const PickleValue& state) = 0;
};

// A resolver for pickles that hold plain data only: every global, persistent
// id, REDUCE and BUILD is an error.
class PlainDataResolver : public PickleResolver {
 public:
  ModelStatus FindClass(const std::string& module,
                        const std::string& name) override;
  ModelResult<PickleValue*> PersistentLoad(PickleArena* arena,
                                           const PickleValue& pid) override;
  ModelResult<PickleValue*> Reduce(PickleArena* arena,
                                   const PickleValue& callable,
                                   const PickleValue& args) override;
  ModelStatus Build(PickleValue* object, const PickleValue& state) override;
};

struct PickleLimits {
  // Most memo entries. Default: 1 << 20.
  size_t max_memo = size_t{1} << 20;
  // Deepest stack (values plus marks). Default: 1 << 20.
  size_t max_stack = size_t{1} << 20;
};

// Runs the pickle that starts at `data[*pos]` up to its STOP opcode and
// returns the value it leaves, allocated in `arena`. On success `*pos` is
// the offset just past STOP (several pickles may follow each other, as in
// torch's legacy format); on failure it is unspecified. Errors are
// DataLoss for a truncated or malformed pickle and InvalidArgument for
// an opcode outside the supported subset; their messages name `source`,
// the opcode and its absolute offset in `data`.
ModelResult<PickleValue*> ReadPickle(
    std::string_view data, size_t* pos, PickleArena* arena,
    PickleResolver* resolver, const std::string& source,
    const PickleLimits& limits = PickleLimits());

}  // namespace facet

#endif  // FACET_CORE_MODEL_PICKLE_READER_H_
