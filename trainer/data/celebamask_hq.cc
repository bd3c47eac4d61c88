#include "trainer/data/celebamask_hq.h"

#include <algorithm>
#include <array>
#include <filesystem>
#include <map>
#include <system_error>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "core/image/image_decoder.h"
#include "core/image/label_palette.h"
#include "glog/logging.h"
#include "opencv2/core.hpp"
#include "opencv2/imgproc.hpp"
#include "trainer/data/part_mask_merge.h"

namespace facet {
namespace {

namespace fs = std::filesystem;

constexpr char kImageDir[] = "CelebA-HQ-img";
constexpr char kMaskDir[] = "CelebAMask-HQ-mask-anno";
constexpr char kMappingFile[] = "CelebA-HQ-to-CelebA-mapping.txt";
constexpr char kLayout[] =
    "expected CelebA-HQ-img/<k>.jpg, "
    "CelebAMask-HQ-mask-anno/<k/2000>/<k as 5 digits>_<part>.png and "
    "CelebA-HQ-to-CelebA-mapping.txt";

// Parses `<5 digits>_<part>.png`; false for any other name.
bool ParseMaskName(const std::string& name, int64_t* number, int* part) {
  constexpr size_t kDigits = 5;
  if (name.size() < kDigits + 6 || name[kDigits] != '_' ||
      name.substr(name.size() - 4) != ".png") {
    return false;
  }
  if (!absl::SimpleAtoi(name.substr(0, kDigits), number)) return false;
  *part = FindLabel(name.substr(kDigits + 1, name.size() - kDigits - 5));
  return *part > 0;
}

// Returns 0 for a missing or unreadable file.
uintmax_t FileSize(const fs::path& path) {
  std::error_code error;
  const uintmax_t size = fs::file_size(path, error);
  return error ? 0 : size;
}

}  // namespace

absl::StatusOr<std::unique_ptr<CelebAMaskHQ>> CelebAMaskHQ::Create(
    const Options& options) {
  const fs::path root(options.root);
  std::error_code error;
  if (options.root.empty() || !fs::is_directory(root, error)) {
    return absl::NotFoundError(absl::StrCat(
        "CelebAMask-HQ root '", options.root, "' is not a folder; ", kLayout));
  }
  if (options.image_size < 16 || options.image_size > 4096) {
    return absl::InvalidArgumentError(
        absl::StrCat("CelebAMask-HQ image_size = ", options.image_size,
                     "; expected 16..4096"));
  }
  const bool need_mapping = options.split != CelebASplit::kAll;
  std::vector<std::string> missing;
  if (!fs::is_directory(root / kImageDir, error)) missing.push_back(kImageDir);
  if (!fs::is_directory(root / kMaskDir, error)) missing.push_back(kMaskDir);
  if (need_mapping && !fs::is_regular_file(root / kMappingFile, error)) {
    missing.push_back(kMappingFile);
  }
  if (!missing.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "'", options.root, "' does not look like CelebAMask-HQ: missing ",
        absl::StrJoin(missing, ", "), "; ", kLayout));
  }

  auto dataset = std::unique_ptr<CelebAMaskHQ>(new CelebAMaskHQ(options));

  // The image numbers of the split.
  std::vector<int64_t> numbers;
  if (fs::is_regular_file(root / kMappingFile, error)) {
    auto rows = ReadCelebAMapping((root / kMappingFile).string());
    if (!rows.ok()) return rows.status();
    numbers = SelectSplit(*rows, options.split);
  } else {
    for (const auto& entry : fs::directory_iterator(root / kImageDir, error)) {
      const std::string name = entry.path().filename().string();
      int64_t k;
      if (entry.path().extension() == ".jpg" &&
          absl::SimpleAtoi(entry.path().stem().string(), &k) && k >= 0) {
        numbers.push_back(k);
      }
    }
    std::sort(numbers.begin(), numbers.end());
  }

  // Which masks exist, from one listing of the mask folders.
  std::map<int64_t, uint32_t> parts;
  std::vector<std::string> empty_masks;
  for (const auto& folder : fs::directory_iterator(root / kMaskDir, error)) {
    if (!folder.is_directory(error)) continue;
    for (const auto& entry : fs::directory_iterator(folder.path(), error)) {
      int64_t number;
      int part;
      if (!entry.is_regular_file(error) ||
          !ParseMaskName(entry.path().filename().string(), &number, &part)) {
        ++dataset->ignored_files_;
        continue;
      }
      if (FileSize(entry.path()) == 0) {
        dataset->skipped_.push_back({entry.path().string(), "empty file"});
        parts[number] |= 1u << 31;  // Marks the sample as unusable.
        continue;
      }
      parts[number] |= 1u << part;
    }
  }

  for (int64_t number : numbers) {
    const std::string image = dataset->ImagePath(number);
    const uintmax_t image_bytes = FileSize(image);
    auto found = parts.find(number);
    const uint32_t bits = found == parts.end() ? 0 : found->second;
    if (image_bytes == 0) {
      dataset->skipped_.push_back(
          {image, fs::exists(image, error) ? "empty file" : "missing image"});
    } else if (bits & (1u << 31)) {
      // The empty mask itself was named above.
    } else if (bits == 0) {
      dataset->skipped_.push_back(
          {dataset->MaskPath(number, kSkin), "no mask files for this image"});
    } else {
      dataset->samples_.push_back({number, bits});
    }
  }

  if (options.verify) {
    std::vector<Sample> good;
    for (size_t i = 0; i < dataset->samples_.size(); ++i) {
      auto sample = dataset->Get(i);
      if (sample.ok()) {
        good.push_back(dataset->samples_[i]);
      } else {
        dataset->skipped_.push_back(
            {dataset->ImagePath(dataset->samples_[i].number),
             std::string(sample.status().message())});
      }
    }
    dataset->samples_ = std::move(good);
  }

  if (dataset->samples_.empty()) {
    std::string first;
    if (!dataset->skipped_.empty()) {
      first = absl::StrCat(" (", dataset->skipped_.size(),
                           " skipped, first: ", dataset->skipped_[0].path, ": ",
                           dataset->skipped_[0].reason, ")");
    }
    return absl::InvalidArgumentError(
        absl::StrCat("no usable CelebAMask-HQ samples in split '",
                     CelebASplitName(options.split), "' under '", options.root,
                     "'", first, "; ", kLayout));
  }
  if (!dataset->skipped_.empty()) {
    LOG(WARNING) << "CelebAMask-HQ: skipped " << dataset->skipped_.size()
                 << " sample(s); first: " << dataset->skipped_[0].path << " ("
                 << dataset->skipped_[0].reason << ")";
  }
  if (dataset->ignored_files_ > 0) {
    LOG(WARNING) << "CelebAMask-HQ: ignored " << dataset->ignored_files_
                 << " file(s) in " << kMaskDir
                 << " not named <5 digits>_<part>.png";
  }
  LOG(INFO) << dataset->Describe();
  return dataset;
}

std::string CelebAMaskHQ::ImagePath(int64_t number) const {
  return (fs::path(options_.root) / kImageDir / absl::StrCat(number, ".jpg"))
      .string();
}

std::string CelebAMaskHQ::MaskPath(int64_t number, int part) const {
  return (fs::path(options_.root) / kMaskDir / absl::StrCat(number / 2000) /
          absl::StrFormat("%05d_%s.png", number, std::string(Label(part).name)))
      .string();
}

absl::StatusOr<FaceSample> CelebAMaskHQ::Get(size_t index) const {
  if (index >= samples_.size()) {
    return absl::OutOfRangeError(absl::StrCat("CelebAMask-HQ index ", index,
                                              " >= size ", samples_.size()));
  }
  const Sample& s = samples_[index];
  const int side = options_.image_size;
  FaceSample out;
  out.name = ImagePath(s.number);
  absl::StatusOr<cv::Mat> image = ReadImageFile(out.name, DecodeLimits());
  if (!image.ok()) {
    return absl::DataLossError(
        absl::StrCat("CelebAMask-HQ image: ", image.status().message()));
  }
  out.image = *std::move(image);
  if (out.image.rows != side || out.image.cols != side) {
    const bool shrink = out.image.rows * out.image.cols > side * side;
    cv::resize(out.image, out.image, cv::Size(side, side), 0, 0,
               shrink ? cv::INTER_AREA : cv::INTER_CUBIC);
  }
  std::array<cv::Mat, kNumLabels> masks;
  for (int part = 1; part < kNumLabels; ++part) {
    if (!(s.parts & (1u << part))) continue;
    const std::string path = MaskPath(s.number, part);
    absl::StatusOr<cv::Mat> rgb = ReadImageFile(path, DecodeLimits());
    if (!rgb.ok()) {
      return absl::DataLossError(
          absl::StrCat("CelebAMask-HQ mask: ", rgb.status().message()));
    }
    cv::Mat mask;
    cv::extractChannel(*rgb, mask, 0);
    if (mask.rows != side || mask.cols != side) {
      cv::resize(mask, mask, cv::Size(side, side), 0, 0, cv::INTER_NEAREST);
    }
    masks[part] = mask;
  }
  auto labels = MergePartMasks(masks, cv::Size(side, side));
  if (!labels.ok()) return labels.status();
  out.labels = *std::move(labels);
  return out;
}

std::string CelebAMaskHQ::Describe() const {
  return absl::StrCat("CelebAMask-HQ ", CelebASplitName(options_.split), " (",
                      samples_.size(), " faces, ", skipped_.size(),
                      " skipped) at ", options_.root);
}

}  // namespace facet
