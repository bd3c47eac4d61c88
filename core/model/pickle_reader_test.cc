#include "core/model/pickle_reader.h"

#include <cstdint>
#include <limits>
#include <string>

#include "core/model/pickle_writer.h"
#include "gtest/gtest.h"

namespace facet {
namespace {

using namespace std::string_literals;

// A Python-like rendering of a value, to compare structures in tables.
std::string Repr(const PickleValue& v, int depth = 0) {
  if (depth > 10) return "...";
  std::string out;
  auto join = [&](const std::vector<PickleValue*>& items) {
    for (size_t i = 0; i < items.size(); ++i) {
      out += (i ? ", " : "") + Repr(*items[i], depth + 1);
    }
  };
  switch (v.kind) {
    case PickleKind::kNone:
      return "None";
    case PickleKind::kBool:
      return v.boolean ? "True" : "False";
    case PickleKind::kInt:
      return std::to_string(v.integer);
    case PickleKind::kLong:
      return "long(" + std::to_string(v.text.size()) + ")";
    case PickleKind::kFloat:
      return std::to_string(v.real);
    case PickleKind::kString:
      return "'" + v.text + "'";
    case PickleKind::kBytes:
      return "b'" + v.text + "'";
    case PickleKind::kGlobal:
      return "<" + v.text + ">";
    case PickleKind::kObject:
      return v.text + "#" + std::to_string(v.integer);
    case PickleKind::kTuple:
      out = "(";
      join(v.items);
      return out + (v.items.size() == 1 ? ",)" : ")");
    case PickleKind::kList:
      out = "[";
      join(v.items);
      return out + "]";
    case PickleKind::kDict:
      out = "{";
      for (size_t i = 0; i < v.entries.size(); ++i) {
        out += (i ? ", " : "") + Repr(*v.entries[i].first, depth + 1) + ": " +
               Repr(*v.entries[i].second, depth + 1);
      }
      return out + "}";
  }
  return "?";
}

// Accepts every global; REDUCE and persistent ids make tagged objects.
class PermissiveResolver : public PickleResolver {
 public:
  ModelStatus FindClass(const std::string&, const std::string&) override {
    return ModelStatus::Ok();
  }
  ModelResult<PickleValue*> PersistentLoad(PickleArena* arena,
                                           const PickleValue&) override {
    PickleValue* v = arena->New(PickleKind::kObject);
    v->text = "pid";
    return v;
  }
  ModelResult<PickleValue*> Reduce(PickleArena* arena, const PickleValue& f,
                                   const PickleValue& args) override {
    if (f.text == "collections.OrderedDict") {
      return arena->New(PickleKind::kDict);
    }
    PickleValue* v = arena->New(PickleKind::kObject);
    v->text = f.text;
    v->integer = static_cast<int64_t>(args.items.size());
    return v;
  }
  ModelStatus Build(PickleValue*, const PickleValue&) override {
    return ModelStatus::Ok();
  }
};

ModelResult<std::string> Parse(const std::string& bytes,
                               PickleResolver* resolver,
                               const PickleLimits& limits = PickleLimits()) {
  PickleArena arena;
  size_t pos = 0;
  ModelResult<PickleValue*> v =
      ReadPickle(bytes, &pos, &arena, resolver, "test.pkl", limits);
  if (!v.ok()) return v.status();
  if (pos != bytes.size()) return ModelStatus::Internal("did not reach end");
  return Repr(**v);
}

TEST(PickleReaderTest, ReadsPlainValues) {
  struct Case {
    std::string bytes;
    const char* repr;
  };
  const Case cases[] = {
      {"\x80\x02K\x05.", "5"},
      {"\x80\x02M\x01\x02.", "513"},
      {std::string("\x80\x02J\xff\xff\xff\xff.", 8), "-1"},
      {std::string("\x80\x02\x8a\x01\xff.", 6), "-1"},
      {std::string("\x80\x02\x8a\x00.", 5), "0"},
      {std::string("\x80\x02\x8a\x09\x01\x02\x03\x04\x05\x06\x07\x08\x09.", 14),
       "long(9)"},
      {"\x80\x02N.", "None"},
      {"\x80\x02\x88.", "True"},
      {std::string("\x80\x02G\x3f\xf8\x00\x00\x00\x00\x00\x00.", 12),
       "1.500000"},
      {std::string("\x80\x02X\x03\x00\x00\x00"
                   "abc.",
                   11),
       "'abc'"},
      {std::string("\x80\x03"
                   "C\x02hi.",
                   7),
       "b'hi'"},
      {"\x80\x02)K\x01\x85K\x02K\x03\x86\x87.", "((), (1,), (2, 3))"},
      {"\x80\x02(K\x01K\x02K\x03K\x04t.", "(1, 2, 3, 4)"},
      {"\x80\x02]q\x00(K\x01K\x02"
       "eK\x03"
       "a."s,
       "[1, 2, 3]"},
      {"\x80\x02}q\x00(K\x01K\x02K\x03K\x04uK\x05K\x06s."s,
       "{1: 2, 3: 4, 5: 6}"},
      {"\x80\x02(K\x01K\x02"
       "d.",
       "{1: 2}"},
      {"\x80\x02(K\x07l.", "[7]"},
  };
  PlainDataResolver plain;
  for (const Case& c : cases) {
    ModelResult<std::string> got = Parse(c.bytes, &plain);
    ASSERT_TRUE(got.ok()) << c.repr << ": " << got.status().ToString();
    EXPECT_EQ(*got, c.repr);
  }
}

TEST(PickleReaderTest, MemoSharesMutableObjects) {
  // l = []; t = (l, l); l.append(9); the result (t, l) sees the append.
  PlainDataResolver plain;
  ModelResult<std::string> shared = Parse(
      "\x80\x02]q\x01h\x01\x86q\x02h\x01K\x09"
      "a\x86.",
      &plain);
  ASSERT_TRUE(shared.ok()) << shared.status().ToString();
  EXPECT_EQ(*shared, "(([9], [9]), [9])");
}

TEST(PickleReaderTest, HandsGlobalsReduceAndPersistentIdsToResolver) {
  PermissiveResolver resolver;
  ModelResult<std::string> got = Parse(
      "\x80\x02"
      "ccollections\nOrderedDict\nq\x00)R(K\x01Qh\x00)Ru"
      "}b."s,
      &resolver);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, "{pid#0: {}}");
  ModelResult<std::string> stack_global = Parse(
      "\x80\x04\x8c\x05torch\x94\x8c\x0c"
      "FloatStorage\x94\x93\x94.",
      &resolver);
  ASSERT_TRUE(stack_global.ok()) << stack_global.status().ToString();
  EXPECT_EQ(*stack_global, "<torch.FloatStorage>");
}

TEST(PickleReaderTest, RejectsWithOpcodeAndOffset) {
  struct Case {
    const char* what;
    std::string bytes;
    ModelErrorCode code;
    const char* message;
  };
  const Case cases[] = {
      {"INST", "\x80\x02K\x01i", ModelErrorCode::kInvalidArgument,
       "INST (0x69) at offset 4"},
      {"unknown", "\x80\x02\xff.", ModelErrorCode::kInvalidArgument,
       "unknown pickle opcode 0xff at offset 2"},
      {"POP",
       "\x80\x02K\x01"
       "0.",
       ModelErrorCode::kInvalidArgument, "POP (0x30) at offset 4"},
      {"global",
       "\x80\x02"
       "cos\nsystem\n.",
       ModelErrorCode::kInvalidArgument, "global 'os.system' is not allowed"},
      {"reduce", "\x80\x02)K\x01R.", ModelErrorCode::kDataLoss, "not a tuple"},
      {"underflow", "\x80\x02t.", ModelErrorCode::kDataLoss, "no MARK"},
      {"pop past mark", "\x80\x02K\x01(\x85.", ModelErrorCode::kDataLoss,
       "underflow"},
      {"memo", "\x80\x02h\x05.", ModelErrorCode::kDataLoss, "no entry 5"},
      {"truncated arg",
       "\x80\x02X\x10\x00\x00\x00"
       "ab"s,
       ModelErrorCode::kDataLoss, "truncated"},
      {"no stop", "\x80\x02K\x01", ModelErrorCode::kDataLoss,
       "before its STOP"},
      {"two values", "\x80\x02K\x01K\x02.", ModelErrorCode::kDataLoss,
       "exactly one"},
      {"open mark", "\x80\x02(K\x01.", ModelErrorCode::kDataLoss,
       "exactly one"},
      {"bad utf8", std::string("\x80\x02X\x01\x00\x00\x00\xff.", 9),
       ModelErrorCode::kDataLoss, "UTF-8"},
      {"setitems on list", "\x80\x02](K\x01K\x02u.", ModelErrorCode::kDataLoss,
       "cannot set items on a list"},
      {"odd setitems", "\x80\x02}(K\x01u.", ModelErrorCode::kDataLoss, "odd"},
      {"append to tuple",
       "\x80\x02)K\x01"
       "a.",
       ModelErrorCode::kDataLoss, "cannot append to a tuple"},
      {"protocol", "\x80\x09N.", ModelErrorCode::kDataLoss, "protocol 9"},
      {"bad global name",
       "\x80\x02"
       "ca b\nc\n.",
       ModelErrorCode::kDataLoss, "malformed"},
      {"negative LONG4", "\x80\x02\x8b\xff\xff\xff\xff.",
       ModelErrorCode::kDataLoss, "negative"},
  };
  PlainDataResolver plain;
  for (const Case& c : cases) {
    ModelResult<std::string> got = Parse(c.bytes, &plain);
    ASSERT_FALSE(got.ok()) << c.what;
    EXPECT_EQ(got.status().code(), c.code)
        << c.what << ": " << got.status().ToString();
    EXPECT_NE(got.status().message().find(c.message), std::string::npos)
        << c.what << ": " << got.status().message();
    EXPECT_EQ(got.status().message().rfind("test.pkl: ", 0), 0u) << c.what;
  }
}

TEST(PickleReaderTest, EnforcesLimits) {
  PlainDataResolver plain;
  PickleLimits limits;
  limits.max_memo = 2;
  EXPECT_TRUE(Parse("\x80\x02K\x01q\x00q\x01q\x00."s, &plain, limits).ok());
  EXPECT_EQ(
      Parse("\x80\x02K\x01q\x00q\x01q\x02."s, &plain, limits).status().code(),
      ModelErrorCode::kResourceExhausted);
  limits.max_stack = 4;
  EXPECT_TRUE(Parse("\x80\x02(K\x01K\x02t.", &plain, limits).ok());
  EXPECT_EQ(Parse("\x80\x02((((K\x01tttt.", &plain, limits).status().code(),
            ModelErrorCode::kResourceExhausted);
}

TEST(PickleReaderTest, ReadsConsecutivePickles) {
  const std::string bytes = "\x80\x02K\x01.\x80\x02K\x02.";
  PlainDataResolver plain;
  PickleArena arena;
  size_t pos = 0;
  ModelResult<PickleValue*> first =
      ReadPickle(bytes, &pos, &arena, &plain, "s");
  ASSERT_TRUE(first.ok());
  EXPECT_EQ(pos, 5u);
  ModelResult<PickleValue*> second =
      ReadPickle(bytes, &pos, &arena, &plain, "s");
  ASSERT_TRUE(second.ok());
  EXPECT_EQ((*second)->integer, 2);
  EXPECT_EQ(pos, bytes.size());
}

TEST(PickleWriterTest, IntsRoundTrip) {
  const int64_t values[] = {0,
                            1,
                            255,
                            256,
                            65535,
                            65536,
                            -1,
                            -128,
                            -129,
                            std::numeric_limits<int32_t>::max(),
                            int64_t{std::numeric_limits<int32_t>::max()} + 1,
                            std::numeric_limits<int32_t>::min(),
                            int64_t{std::numeric_limits<int32_t>::min()} - 1,
                            int64_t{1} << 40,
                            -(int64_t{1} << 40),
                            int64_t{0x7f} << 48,
                            int64_t{0x80} << 48,
                            std::numeric_limits<int64_t>::max(),
                            std::numeric_limits<int64_t>::min()};
  PlainDataResolver plain;
  for (int64_t value : values) {
    PickleWriter writer;
    writer.Int(value);
    ModelResult<std::string> got = Parse(writer.Finish(), &plain);
    ASSERT_TRUE(got.ok()) << value << ": " << got.status().ToString();
    EXPECT_EQ(*got, std::to_string(value));
  }
}

TEST(PickleWriterTest, WritesStructuresAndMemoizesGlobals) {
  PickleWriter writer;
  writer.Global("collections", "OrderedDict");
  writer.EmptyTuple();
  writer.Reduce();
  writer.Mark();
  writer.String("k");
  writer.Mark();
  writer.Global("collections", "OrderedDict");
  writer.IntTuple({2, 3});
  writer.IntTuple({});
  writer.Bool(false);
  writer.None();
  writer.Tuple();
  writer.PersistentId();
  writer.SetItems();
  const std::string bytes = writer.Finish();
  // The second GLOBAL is a memo fetch.
  EXPECT_EQ(bytes.find("OrderedDict"), bytes.rfind("OrderedDict"));
  PermissiveResolver resolver;
  ModelResult<std::string> got = Parse(bytes, &resolver);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, "{'k': pid#0}");
}

}  // namespace
}  // namespace facet
