#include "core/image/label_palette.h"

#include <iterator>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "gtest/gtest.h"

namespace facet {
namespace {

TEST(LabelPaletteTest, HasNineteenUniqueLabels) {
  EXPECT_EQ(kNumLabels, 19);
  EXPECT_EQ(kLabelPalette.size(), 19u);
  std::set<std::string> names;
  std::set<std::tuple<int, int, int>> colours;
  for (const LabelInfo& label : kLabelPalette) {
    names.insert(label.name);
    colours.insert({label.r, label.g, label.b});
  }
  EXPECT_EQ(names.size(), 19u);
  EXPECT_EQ(colours.size(), 19u);
}

// Values copied from the table in the model spec, section 5.
TEST(LabelPaletteTest, MatchesSpecTable) {
  struct Row {
    int id;
    const char* name;
    int r, g, b;
  };
  const std::vector<Row> rows = {
      {0, "background", 0, 0, 0}, {1, "skin", 204, 0, 0},
      {2, "nose", 76, 153, 0},    {3, "eye_g", 204, 204, 0},
      {4, "l_eye", 51, 51, 255},  {5, "r_eye", 204, 0, 204},
      {6, "l_brow", 0, 255, 255}, {7, "r_brow", 255, 204, 204},
      {8, "l_ear", 102, 51, 0},   {9, "r_ear", 255, 0, 0},
      {10, "mouth", 102, 204, 0}, {11, "u_lip", 255, 255, 0},
      {12, "l_lip", 0, 0, 153},   {13, "hair", 0, 0, 204},
      {14, "hat", 255, 51, 153},  {15, "ear_r", 0, 204, 204},
      {16, "neck_l", 0, 51, 0},   {17, "neck", 255, 153, 51},
      {18, "cloth", 0, 204, 0},
  };
  ASSERT_EQ(rows.size(), static_cast<size_t>(kNumLabels));
  for (const Row& row : rows) {
    const LabelInfo& label = Label(row.id);
    EXPECT_STREQ(label.name, row.name) << row.id;
    EXPECT_EQ(label.r, row.r) << row.name;
    EXPECT_EQ(label.g, row.g) << row.name;
    EXPECT_EQ(label.b, row.b) << row.name;
    EXPECT_EQ(FindLabel(row.name), row.id);
  }
}

TEST(LabelPaletteTest, FindLabelRejectsUnknownNames) {
  for (const char* name : {"", "Hair", "eyes", "background "}) {
    EXPECT_EQ(FindLabel(name), -1) << name;
  }
}

// The named ids (used by the trainer's datasets) point at the right rows.
TEST(LabelPaletteTest, NamedIdsMatchTheTable) {
  const struct {
    FaceLabel id;
    const char* name;
  } named[] = {
      {kBackground, "background"}, {kSkin, "skin"},        {kNose, "nose"},
      {kEyeGlasses, "eye_g"},      {kLeftEye, "l_eye"},    {kRightEye, "r_eye"},
      {kLeftBrow, "l_brow"},       {kRightBrow, "r_brow"}, {kLeftEar, "l_ear"},
      {kRightEar, "r_ear"},        {kMouth, "mouth"},      {kUpperLip, "u_lip"},
      {kLowerLip, "l_lip"},        {kHair, "hair"},        {kHat, "hat"},
      {kEarring, "ear_r"},         {kNecklace, "neck_l"},  {kNeck, "neck"},
      {kCloth, "cloth"},
  };
  ASSERT_EQ(std::size(named), static_cast<size_t>(kNumLabels));
  for (const auto& n : named) {
    EXPECT_STREQ(Label(n.id).name, n.name);
    EXPECT_EQ(FindLabel(n.name), n.id);
  }
}

}  // namespace
}  // namespace facet
