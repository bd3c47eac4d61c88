#include "core/model/pickle_reader.h"

#include <cctype>
#include <cstdio>
#include <cstring>
#include <unordered_map>
#include <vector>

#include "core/io/byte_order.h"
#include "core/io/utf8.h"

namespace facet {
namespace {

// Opcodes of the supported subset (see Python's pickletools for the rest).
enum Op : uint8_t {
  kMark = '(',
  kStop = '.',
  kBinInt = 'J',
  kBinInt1 = 'K',
  kBinInt2 = 'M',
  kNone = 'N',
  kBinPersId = 'Q',
  kReduce = 'R',
  kBinString = 'T',
  kShortBinString = 'U',
  kBinUnicode = 'X',
  kAppend = 'a',
  kBuild = 'b',
  kGlobal = 'c',
  kDict = 'd',
  kEmptyDict = '}',
  kAppends = 'e',
  kBinGet = 'h',
  kLongBinGet = 'j',
  kList = 'l',
  kEmptyList = ']',
  kBinPut = 'q',
  kLongBinPut = 'r',
  kSetItem = 's',
  kTuple = 't',
  kEmptyTuple = ')',
  kSetItems = 'u',
  kBinFloat = 'G',
  kProto = 0x80,
  kTuple1 = 0x85,
  kTuple2 = 0x86,
  kTuple3 = 0x87,
  kNewTrue = 0x88,
  kNewFalse = 0x89,
  kLong1 = 0x8a,
  kLong4 = 0x8b,
  kBinBytes = 'B',
  kShortBinBytes = 'C',
  kShortBinUnicode = 0x8c,
  kBinUnicode8 = 0x8d,
  kStackGlobal = 0x93,
  kMemoize = 0x94,
  kFrame = 0x95,
};

// Names of all standard opcodes, for error messages; those outside the
// supported subset are listed too so that a rejection names them.
// clang-format off
constexpr struct {
  uint8_t op;
  const char* name;
} kOpNames[] = {
    {kMark, "MARK"}, {kStop, "STOP"}, {kBinInt, "BININT"},
    {kBinInt1, "BININT1"}, {kBinInt2, "BININT2"}, {kNone, "NONE"},
    {kBinPersId, "BINPERSID"}, {kReduce, "REDUCE"}, {kBinString, "BINSTRING"},
    {kShortBinString, "SHORT_BINSTRING"}, {kBinUnicode, "BINUNICODE"},
    {kAppend, "APPEND"}, {kBuild, "BUILD"}, {kGlobal, "GLOBAL"},
    {kDict, "DICT"}, {kEmptyDict, "EMPTY_DICT"}, {kAppends, "APPENDS"},
    {kBinGet, "BINGET"}, {kLongBinGet, "LONG_BINGET"}, {kList, "LIST"},
    {kEmptyList, "EMPTY_LIST"}, {kBinPut, "BINPUT"},
    {kLongBinPut, "LONG_BINPUT"}, {kSetItem, "SETITEM"}, {kTuple, "TUPLE"},
    {kEmptyTuple, "EMPTY_TUPLE"}, {kSetItems, "SETITEMS"},
    {kBinFloat, "BINFLOAT"}, {kProto, "PROTO"}, {kTuple1, "TUPLE1"},
    {kTuple2, "TUPLE2"}, {kTuple3, "TUPLE3"}, {kNewTrue, "NEWTRUE"},
    {kNewFalse, "NEWFALSE"}, {kLong1, "LONG1"}, {kLong4, "LONG4"},
    {kBinBytes, "BINBYTES"}, {kShortBinBytes, "SHORT_BINBYTES"},
    {kShortBinUnicode, "SHORT_BINUNICODE"}, {kBinUnicode8, "BINUNICODE8"},
    {kStackGlobal, "STACK_GLOBAL"}, {kMemoize, "MEMOIZE"}, {kFrame, "FRAME"},
    {'0', "POP"}, {'1', "POP_MARK"}, {'2', "DUP"}, {'F', "FLOAT"},
    {'I', "INT"}, {'L', "LONG"}, {'P', "PERSID"}, {'S', "STRING"},
    {'V', "UNICODE"}, {'g', "GET"}, {'i', "INST"}, {'o', "OBJ"},
    {'p', "PUT"}, {0x81, "NEWOBJ"}, {0x82, "EXT1"}, {0x83, "EXT2"},
    {0x84, "EXT4"}, {0x8e, "BINBYTES8"}, {0x8f, "EMPTY_SET"},
    {0x90, "ADDITEMS"}, {0x91, "FROZENSET"}, {0x92, "NEWOBJ_EX"},
    {0x96, "BYTEARRAY8"}, {0x97, "NEXT_BUFFER"}, {0x98, "READONLY_BUFFER"},
};
// clang-format on

// Returns the opcode's name, or nullptr for a byte that is no opcode.
const char* OpName(uint8_t op) {
  for (const auto& entry : kOpNames) {
    if (entry.op == op) return entry.name;
  }
  return nullptr;
}

// True iff `s` looks like a dotted Python identifier (module or qualname).
bool IsDottedName(std::string_view s) {
  if (s.empty() || s.size() > 256) return false;
  for (char c : s) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' ||
          c == '.')) {
      return false;
    }
  }
  return true;
}

class Machine {
 public:
  Machine(std::string_view data, size_t pos, PickleArena* arena,
          PickleResolver* resolver, const std::string& source,
          const PickleLimits& limits)
      : data_(data),
        pos_(pos),
        arena_(arena),
        resolver_(resolver),
        source_(source),
        limits_(limits) {}

  ModelResult<PickleValue*> Run(size_t* end) {
    while (true) {
      op_offset_ = pos_;
      if (pos_ >= data_.size()) {
        return ModelStatus::DataLoss(source_ + ": pickle ends at offset " +
                                     std::to_string(pos_) +
                                     " before its STOP opcode");
      }
      op_ = static_cast<uint8_t>(data_[pos_++]);
      if (op_ == kStop) {
        if (!marks_.empty() || stack_.size() != 1) {
          return Fail("STOP leaves " + std::to_string(stack_.size()) +
                      " values and " + std::to_string(marks_.size()) +
                      " marks; expected exactly one value");
        }
        *end = pos_;
        return stack_.back();
      }
      ModelStatus s = Step();
      if (!s.ok()) return s;
    }
  }

 private:
  // An error about the current opcode.
  ModelStatus Fail(const std::string& what,
                   ModelErrorCode code = ModelErrorCode::kDataLoss) const {
    char hex[8];
    std::snprintf(hex, sizeof(hex), "0x%02x", op_);
    const char* name = OpName(op_);
    const std::string op =
        name != nullptr
            ? std::string("pickle opcode ") + name + " (" + hex + ")"
            : std::string("unknown pickle opcode ") + hex;
    return ModelStatus(code, source_ + ": " + op + " at offset " +
                                 std::to_string(op_offset_) + ": " + what);
  }
  // Prefixes a resolver's error with the opcode and offset.
  ModelStatus Wrap(const ModelStatus& s) const {
    return Fail(s.message(), s.code());
  }

  bool Read(size_t n, std::string_view* out) {
    if (data_.size() - pos_ < n) return false;
    *out = data_.substr(pos_, n);
    pos_ += n;
    return true;
  }
  bool ReadUint(int n, uint64_t* out) {
    std::string_view b;
    if (!Read(n, &b)) return false;
    *out = LoadLittleEndian(b, 0, n);
    return true;
  }
  bool ReadLine(std::string_view* out) {
    size_t nl = data_.find('\n', pos_);
    if (nl == std::string_view::npos) return false;
    *out = data_.substr(pos_, nl - pos_);
    pos_ = nl + 1;
    return true;
  }
  ModelStatus Truncated() const { return Fail("argument is truncated"); }

  ModelStatus Push(PickleValue* v) {
    if (stack_.size() + marks_.size() >= limits_.max_stack) {
      return Fail("stack exceeds " + std::to_string(limits_.max_stack),
                  ModelErrorCode::kResourceExhausted);
    }
    stack_.push_back(v);
    return ModelStatus::Ok();
  }
  size_t Floor() const { return marks_.empty() ? 0 : marks_.back(); }
  ModelStatus Pop(PickleValue** v) {
    if (stack_.size() <= Floor()) return Fail("stack underflow");
    *v = stack_.back();
    stack_.pop_back();
    return ModelStatus::Ok();
  }
  ModelStatus Top(PickleValue** v) {
    if (stack_.size() <= Floor()) return Fail("stack underflow");
    *v = stack_.back();
    return ModelStatus::Ok();
  }
  ModelStatus PopMark(std::vector<PickleValue*>* items) {
    if (marks_.empty()) return Fail("no MARK to pop to");
    const size_t mark = marks_.back();
    marks_.pop_back();
    items->assign(stack_.begin() + mark, stack_.end());
    stack_.resize(mark);
    return ModelStatus::Ok();
  }
  ModelStatus PushNew(PickleKind kind, PickleValue** out = nullptr) {
    PickleValue* v = arena_->New(kind);
    if (out != nullptr) *out = v;
    return Push(v);
  }
  ModelStatus PushInt(int64_t i) {
    PickleValue* v = nullptr;
    ModelStatus s = PushNew(PickleKind::kInt, &v);
    v->integer = i;
    return s;
  }
  ModelStatus PushText(PickleKind kind, std::string_view text) {
    if (kind == PickleKind::kString && !IsValidUtf8(text)) {
      return Fail("string is not valid UTF-8");
    }
    PickleValue* v = nullptr;
    ModelStatus s = PushNew(kind, &v);
    v->text.assign(text);
    return s;
  }
  ModelStatus PushSized(PickleKind kind, int width) {
    uint64_t n;
    std::string_view text;
    if (!ReadUint(width, &n) || n > data_.size() || !Read(n, &text)) {
      return Truncated();
    }
    return PushText(kind, text);
  }
  ModelStatus PushLong(int width) {
    uint64_t n;
    std::string_view b;
    if (!ReadUint(width, &n)) return Truncated();
    if (width == 4 && n > 0x7fffffffu) return Fail("negative length");
    if (n > data_.size() || !Read(n, &b)) return Truncated();
    if (n > 8) return PushText(PickleKind::kLong, b);
    uint64_t u = n > 0 ? LoadLittleEndian(b, 0, static_cast<int>(n)) : 0;
    if (n > 0 && n < 8 && (static_cast<uint8_t>(b[n - 1]) & 0x80)) {
      u |= ~uint64_t{0} << (8 * n);  // Sign-extend.
    }
    int64_t i;
    std::memcpy(&i, &u, sizeof(i));
    return PushInt(i);
  }
  ModelStatus PushTuple(std::vector<PickleValue*> items) {
    PickleValue* v = nullptr;
    ModelStatus s = PushNew(PickleKind::kTuple, &v);
    v->items = std::move(items);
    return s;
  }
  ModelStatus PopTuple(int n) {
    std::vector<PickleValue*> items(n);
    for (int i = n - 1; i >= 0; --i) {
      ModelStatus s = Pop(&items[i]);
      if (!s.ok()) return s;
    }
    return PushTuple(std::move(items));
  }
  ModelStatus AddItems(PickleValue* dict, const std::vector<PickleValue*>& kv) {
    if (dict->kind != PickleKind::kDict) {
      return Fail(std::string("cannot set items on a ") + dict->KindName());
    }
    if (kv.size() % 2 != 0) return Fail("odd number of keys and values");
    for (size_t i = 0; i < kv.size(); i += 2) {
      dict->entries.emplace_back(kv[i], kv[i + 1]);
    }
    return ModelStatus::Ok();
  }
  ModelStatus Global(std::string_view module, std::string_view name) {
    if (!IsDottedName(module) || !IsDottedName(name)) {
      return Fail("malformed global name");
    }
    ModelStatus s =
        resolver_->FindClass(std::string(module), std::string(name));
    if (!s.ok()) return Wrap(s);
    PickleValue* v = nullptr;
    s = PushNew(PickleKind::kGlobal, &v);
    v->text = std::string(module) + "." + std::string(name);
    return s;
  }
  ModelStatus Memo(uint64_t index) {
    PickleValue* v = nullptr;
    ModelStatus s = Top(&v);
    if (!s.ok()) return s;
    auto it = memo_.find(index);
    if (it != memo_.end()) {
      it->second = v;
      return ModelStatus::Ok();
    }
    if (memo_.size() >= limits_.max_memo) {
      return Fail(
          "memo exceeds " + std::to_string(limits_.max_memo) + " entries",
          ModelErrorCode::kResourceExhausted);
    }
    memo_.emplace(index, v);
    return ModelStatus::Ok();
  }
  ModelStatus Get(uint64_t index) {
    auto it = memo_.find(index);
    if (it == memo_.end()) {
      return Fail("memo has no entry " + std::to_string(index));
    }
    return Push(it->second);
  }

  ModelStatus Step();

  std::string_view data_;
  size_t pos_;
  PickleArena* arena_;
  PickleResolver* resolver_;
  const std::string& source_;
  PickleLimits limits_;
  uint8_t op_ = 0;
  size_t op_offset_ = 0;
  std::vector<PickleValue*> stack_;
  std::vector<size_t> marks_;  // Stack heights at each open MARK.
  std::unordered_map<uint64_t, PickleValue*> memo_;
};

ModelStatus Machine::Step() {
  uint64_t n;
  std::string_view b;
  PickleValue* v = nullptr;
  PickleValue* w = nullptr;
  std::vector<PickleValue*> items;
  ModelStatus s;
  switch (op_) {
    case kProto:
      if (!ReadUint(1, &n)) return Truncated();
      if (n > 5) return Fail("unsupported protocol " + std::to_string(n));
      return ModelStatus::Ok();
    case kFrame:
      // Frames only group opcodes for buffered reading; the bytes are
      // already in memory.
      if (!ReadUint(8, &n)) return Truncated();
      if (n > data_.size() - pos_) return Truncated();
      return ModelStatus::Ok();
    case kMark:
      if (stack_.size() + marks_.size() >= limits_.max_stack) {
        return Fail("stack exceeds " + std::to_string(limits_.max_stack),
                    ModelErrorCode::kResourceExhausted);
      }
      marks_.push_back(stack_.size());
      return ModelStatus::Ok();
    case kNone:
      return PushNew(PickleKind::kNone);
    case kNewTrue:
    case kNewFalse:
      s = PushNew(PickleKind::kBool, &v);
      v->boolean = op_ == kNewTrue;
      return s;
    case kBinInt: {
      if (!ReadUint(4, &n)) return Truncated();
      return PushInt(static_cast<int32_t>(static_cast<uint32_t>(n)));
    }
    case kBinInt1:
    case kBinInt2:
      if (!ReadUint(op_ == kBinInt1 ? 1 : 2, &n)) return Truncated();
      return PushInt(static_cast<int64_t>(n));
    case kLong1:
      return PushLong(1);
    case kLong4:
      return PushLong(4);
    case kBinFloat: {
      if (!Read(8, &b)) return Truncated();
      const uint64_t bits = LoadBigEndian(b, 0, 8);  // Big-endian double.
      s = PushNew(PickleKind::kFloat, &v);
      std::memcpy(&v->real, &bits, sizeof(bits));
      return s;
    }
    case kBinUnicode:
      return PushSized(PickleKind::kString, 4);
    case kShortBinUnicode:
      return PushSized(PickleKind::kString, 1);
    case kBinUnicode8:
      return PushSized(PickleKind::kString, 8);
    case kBinString:
      // Python 2 str; Python 3 decodes it as text too.
      return PushSized(PickleKind::kString, 4);
    case kShortBinString:
      return PushSized(PickleKind::kString, 1);
    case kBinBytes:
      return PushSized(PickleKind::kBytes, 4);
    case kShortBinBytes:
      return PushSized(PickleKind::kBytes, 1);
    case kEmptyTuple:
      return PushTuple({});
    case kTuple1:
    case kTuple2:
    case kTuple3:
      return PopTuple(op_ - kTuple1 + 1);
    case kTuple:
      s = PopMark(&items);
      if (!s.ok()) return s;
      return PushTuple(std::move(items));
    case kEmptyList:
      return PushNew(PickleKind::kList);
    case kList:
      s = PopMark(&items);
      if (!s.ok()) return s;
      s = PushNew(PickleKind::kList, &v);
      v->items = std::move(items);
      return s;
    case kAppend:
      if (!(s = Pop(&w)).ok() || !(s = Top(&v)).ok()) return s;
      if (v->kind != PickleKind::kList) {
        return Fail(std::string("cannot append to a ") + v->KindName());
      }
      v->items.push_back(w);
      return ModelStatus::Ok();
    case kAppends:
      if (!(s = PopMark(&items)).ok() || !(s = Top(&v)).ok()) return s;
      if (v->kind != PickleKind::kList) {
        return Fail(std::string("cannot append to a ") + v->KindName());
      }
      v->items.insert(v->items.end(), items.begin(), items.end());
      return ModelStatus::Ok();
    case kEmptyDict:
      return PushNew(PickleKind::kDict);
    case kDict:
      s = PopMark(&items);
      if (!s.ok()) return s;
      s = PushNew(PickleKind::kDict, &v);
      if (!s.ok()) return s;
      return AddItems(v, items);
    case kSetItem:
      items.resize(2);
      if (!(s = Pop(&items[1])).ok() || !(s = Pop(&items[0])).ok() ||
          !(s = Top(&v)).ok()) {
        return s;
      }
      return AddItems(v, items);
    case kSetItems:
      if (!(s = PopMark(&items)).ok() || !(s = Top(&v)).ok()) return s;
      return AddItems(v, items);
    case kGlobal: {
      std::string_view module, name;
      if (!ReadLine(&module) || !ReadLine(&name)) return Truncated();
      return Global(module, name);
    }
    case kStackGlobal:
      if (!(s = Pop(&w)).ok() || !(s = Pop(&v)).ok()) return s;
      if (v->kind != PickleKind::kString || w->kind != PickleKind::kString) {
        return Fail("module and name must be strings");
      }
      return Global(v->text, w->text);
    case kReduce: {
      if (!(s = Pop(&w)).ok() || !(s = Pop(&v)).ok()) return s;
      if (w->kind != PickleKind::kTuple) {
        return Fail(std::string("arguments are a ") + w->KindName() +
                    ", not a tuple");
      }
      ModelResult<PickleValue*> r = resolver_->Reduce(arena_, *v, *w);
      if (!r.ok()) return Wrap(r.status());
      return Push(*r);
    }
    case kBuild:
      if (!(s = Pop(&w)).ok() || !(s = Top(&v)).ok()) return s;
      s = resolver_->Build(v, *w);
      return s.ok() ? s : Wrap(s);
    case kBinPersId: {
      if (!(s = Pop(&v)).ok()) return s;
      ModelResult<PickleValue*> r = resolver_->PersistentLoad(arena_, *v);
      if (!r.ok()) return Wrap(r.status());
      return Push(*r);
    }
    case kBinPut:
      if (!ReadUint(1, &n)) return Truncated();
      return Memo(n);
    case kLongBinPut:
      if (!ReadUint(4, &n)) return Truncated();
      return Memo(n);
    case kMemoize:
      return Memo(memo_.size());
    case kBinGet:
      if (!ReadUint(1, &n)) return Truncated();
      return Get(n);
    case kLongBinGet:
      if (!ReadUint(4, &n)) return Truncated();
      return Get(n);
    default:
      return Fail("opcode is not supported in a state dict",
                  ModelErrorCode::kInvalidArgument);
  }
}

}  // namespace

const char* PickleValue::KindName() const {
  switch (kind) {
    case PickleKind::kNone:
      return "None";
    case PickleKind::kBool:
      return "bool";
    case PickleKind::kInt:
      return "int";
    case PickleKind::kLong:
      return "long int";
    case PickleKind::kFloat:
      return "float";
    case PickleKind::kString:
      return "str";
    case PickleKind::kBytes:
      return "bytes";
    case PickleKind::kTuple:
      return "tuple";
    case PickleKind::kList:
      return "list";
    case PickleKind::kDict:
      return "dict";
    case PickleKind::kGlobal:
      return "global";
    case PickleKind::kObject:
      return "object";
  }
  return "value";
}

ModelStatus PlainDataResolver::FindClass(const std::string& module,
                                         const std::string& name) {
  return ModelStatus::InvalidArgument("global '" + module + "." + name +
                                      "' is not allowed here");
}

ModelResult<PickleValue*> PlainDataResolver::PersistentLoad(
    PickleArena*, const PickleValue&) {
  return ModelStatus::InvalidArgument("persistent ids are not allowed here");
}

ModelResult<PickleValue*> PlainDataResolver::Reduce(PickleArena*,
                                                    const PickleValue&,
                                                    const PickleValue&) {
  return ModelStatus::InvalidArgument("REDUCE is not allowed here");
}

ModelStatus PlainDataResolver::Build(PickleValue*, const PickleValue&) {
  return ModelStatus::InvalidArgument("BUILD is not allowed here");
}

ModelResult<PickleValue*> ReadPickle(std::string_view data, size_t* pos,
                                     PickleArena* arena,
                                     PickleResolver* resolver,
                                     const std::string& source,
                                     const PickleLimits& limits) {
  if (*pos > data.size()) {
    return ModelStatus::InvalidArgument(source + ": pickle offset past end");
  }
  return Machine(data, *pos, arena, resolver, source, limits).Run(pos);
}

}  // namespace facet
