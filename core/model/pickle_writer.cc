#include "core/model/pickle_writer.h"

namespace facet {

PickleWriter::PickleWriter() {
  Op(0x80);  // PROTO
  Op(2);
}

void PickleWriter::Le(uint64_t v, int bytes) {
  for (int i = 0; i < bytes; ++i)
    out_.push_back(static_cast<char>(v >> (8 * i)));
}

void PickleWriter::Mark() { Op('('); }
void PickleWriter::None() { Op('N'); }
void PickleWriter::Bool(bool b) { Op(b ? 0x88 : 0x89); }

void PickleWriter::Int(int64_t i) {
  if (i >= 0 && i < 0x100) {
    Op('K');
    Le(static_cast<uint64_t>(i), 1);
  } else if (i >= 0 && i < 0x10000) {
    Op('M');
    Le(static_cast<uint64_t>(i), 2);
  } else if (i >= INT32_MIN && i <= INT32_MAX) {
    Op('J');
    Le(static_cast<uint64_t>(i), 4);
  } else {
    // LONG1: the shortest little-endian two's complement form.
    const uint64_t u = static_cast<uint64_t>(i);
    int n = 8;
    while (n > 1) {
      const uint8_t top = static_cast<uint8_t>(u >> (8 * (n - 1)));
      const uint8_t next = static_cast<uint8_t>(u >> (8 * (n - 2)));
      if ((top == 0x00 && !(next & 0x80)) || (top == 0xff && (next & 0x80))) {
        --n;
      } else {
        break;
      }
    }
    Op(0x8a);
    Le(static_cast<uint64_t>(n), 1);
    Le(u, n);
  }
}

void PickleWriter::String(std::string_view s) {
  Op('X');
  Le(s.size(), 4);
  out_.append(s);
}

void PickleWriter::Global(const std::string& module, const std::string& name) {
  const std::string line = module + "\n" + name + "\n";
  for (size_t i = 0; i < globals_.size(); ++i) {
    if (globals_[i] == line) {
      Op('j');  // LONG_BINGET
      Le(i, 4);
      return;
    }
  }
  Op('c');
  out_ += line;
  Op('r');  // LONG_BINPUT
  Le(globals_.size(), 4);
  globals_.push_back(line);
}

void PickleWriter::EmptyTuple() { Op(')'); }
void PickleWriter::Tuple() { Op('t'); }

void PickleWriter::IntTuple(const std::vector<int64_t>& items) {
  if (items.empty()) {
    EmptyTuple();
    return;
  }
  Mark();
  for (int64_t i : items) Int(i);
  Tuple();
}

void PickleWriter::Reduce() { Op('R'); }
void PickleWriter::PersistentId() { Op('Q'); }
void PickleWriter::SetItems() { Op('u'); }

std::string PickleWriter::Finish() {
  Op('.');
  return std::move(out_);
}

}  // namespace facet
