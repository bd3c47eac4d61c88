// PickleWriter: emits the protocol 2 opcodes a state dict needs, for
// pth_writer.h. It writes exactly what it is told; producing a well-formed
// pickle (balanced marks, one value left at STOP) is the caller's job.
//
// Thread safety: none; one writer per thread.
#ifndef FACET_CORE_MODEL_PICKLE_WRITER_H_
#define FACET_CORE_MODEL_PICKLE_WRITER_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace facet {

class PickleWriter {
 public:
  // Starts with PROTO 2.
  PickleWriter();

  void Mark();                      // MARK
  void None();                      // NONE
  void Bool(bool b);                // NEWTRUE / NEWFALSE
  void Int(int64_t i);              // BININT1 / BININT2 / BININT / LONG1
  void String(std::string_view s);  // BINUNICODE; `s` is UTF-8.
  // GLOBAL "module\nname\n", memoized: a global written before is fetched
  // from the memo with BINGET.
  void Global(const std::string& module, const std::string& name);
  void EmptyTuple();  // EMPTY_TUPLE
  void Tuple();       // TUPLE (items since the last MARK)
  void IntTuple(const std::vector<int64_t>& items);
  void Reduce();        // REDUCE
  void PersistentId();  // BINPERSID
  void SetItems();      // SETITEMS
  // STOP, then returns the pickle; the writer must not be used afterwards.
  std::string Finish();

 private:
  void Op(uint8_t op) { out_.push_back(static_cast<char>(op)); }
  void Le(uint64_t v, int bytes);

  std::string out_;
  std::vector<std::string> globals_;  // Memo index = position.
};

}  // namespace facet

#endif  // FACET_CORE_MODEL_PICKLE_WRITER_H_
