// Round trips, batching, errors and limits, health, metrics against one
// shared facet-server process serving a tiny published version.
#include <atomic>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "core/image/image_decoder.h"
#include "core/image/label_palette.h"
#include "grpcpp/generic/generic_stub.h"
#include "gtest/gtest.h"
#include "opencv2/imgcodecs.hpp"
#include "opencv2/imgproc.hpp"
#include "tests/server/server_process.h"
#include "tests/util/test_files.h"

namespace facet {
namespace server_test {
namespace {

constexpr char kModel[] = "faces";

class ServingTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    repo_ = new std::string(
        testing::MakeTempDirRemovedAtExit("facet_serving_repo"));
    ASSERT_EQ(PublishVersion(*repo_, kModel, 1), 1);
    auto server = ServerProcess::Start(
        {"--model_repository=" + *repo_, std::string("--model_name=") + kModel,
         "--device=cpu", "--max_batch_size=4", "--max_queue_delay_us=30000",
         // Batching is tested here whatever it would measure (see
         // adaptive_batching_test.cc for the measured size).
         "--adaptive_batching=false",
         "--max_side=1024", "--max_image_bytes=300000", "--max_pixels=500000",
         "--max_message_bytes=1000000", "--intra_op_threads=1"});
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = server->release();
    // Wait for the model.
    const absl::Time end = absl::Now() + absl::Seconds(60);
    while (HealthStatus(*server_) != 1 && absl::Now() < end) {
      absl::SleepFor(absl::Milliseconds(50));
    }
    ASSERT_EQ(HealthStatus(*server_), 1) << server_->Log();
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
    delete repo_;
  }
  void SetUp() override {
    ASSERT_NE(server_, nullptr) << "the shared server did not start";
    stub_ = server_->NewStub();
  }
  void TearDown() override {
    if (HasFailure() && server_ != nullptr) {
      const std::string log = server_->Log();
      std::cerr << "server log tail:\n"
                << log.substr(log.size() > 4000 ? log.size() - 4000 : 0);
    }
  }

  static grpc::Status Parse(v1::FaceService::Stub* stub,
                            const v1::ParseRequest& request,
                            v1::ParseResponse* response) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::seconds(30));
    return stub->Parse(&context, request, response);
  }

  static std::string* repo_;
  static ServerProcess* server_;
  std::unique_ptr<v1::FaceService::Stub> stub_;
};

std::string* ServingTest::repo_ = nullptr;
ServerProcess* ServingTest::server_ = nullptr;

v1::ParseRequest PngRequest(const cv::Mat& rgb) {
  v1::ParseRequest request;
  request.mutable_image()->set_encoded(PngBytes(rgb));
  return request;
}

TEST_F(ServingTest, ParseReturnsLabelsAtInputSize) {
  v1::ParseRequest request = PngRequest(MakeFace(80, 60, 1));
  v1::ParseResponse response;
  grpc::Status status = Parse(stub_.get(), request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  const v1::EncodedImage& labels = response.labels();
  EXPECT_EQ(labels.encoding(), v1::IMAGE_ENCODING_PNG);
  EXPECT_EQ(labels.width(), 80);
  EXPECT_EQ(labels.height(), 60);
  EXPECT_EQ(labels.channels(), 1);
  std::vector<uint8_t> bytes(labels.data().begin(), labels.data().end());
  cv::Mat decoded = cv::imdecode(bytes, cv::IMREAD_UNCHANGED);
  ASSERT_EQ(decoded.type(), CV_8UC1);
  EXPECT_EQ(decoded.cols, 80);
  double max_id = 0;
  cv::minMaxLoc(decoded, nullptr, &max_id);
  EXPECT_LT(max_id, 19);
  EXPECT_EQ(response.info().model_name(), kModel);
  EXPECT_EQ(response.info().model_version(), 1);
  const v1::PhaseTimings& t = response.info().timings();
  EXPECT_GT(t.compute_us(), 0);
  EXPECT_GE(t.total_us(), t.compute_us() + t.queue_us());
  EXPECT_GE(t.batch_size(), 1);
  EXPECT_FALSE(response.has_restored());
}

TEST_F(ServingTest, ParseFillsEveryRequestedOutput) {
  v1::ParseRequest request = PngRequest(MakeFace(50, 70, 2));
  request.set_output_size(v1::OUTPUT_SIZE_NETWORK);
  request.set_label_encoding(v1::IMAGE_ENCODING_RAW);
  request.set_want_color(true);
  request.set_want_overlay(true);
  request.set_want_class_counts(true);
  request.set_want_restored(true);
  request.set_image_encoding(v1::IMAGE_ENCODING_RAW);
  v1::ParseResponse response;
  grpc::Status status = Parse(stub_.get(), request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  const int side = 64;  // Tiny network output.
  EXPECT_EQ(response.labels().data().size(), size_t{side * side});
  EXPECT_EQ(response.color().data().size(), size_t{side * side * 3});
  EXPECT_EQ(response.overlay().data().size(), size_t{side * side * 3});
  EXPECT_EQ(response.restored().data().size(), size_t{side * side * 3});
  ASSERT_EQ(response.class_counts_size(), 19);
  int64_t total = 0;
  std::vector<int64_t> counted(19, 0);
  for (unsigned char id : response.labels().data()) counted[id]++;
  for (const auto& count : response.class_counts()) {
    total += count.pixels();
    EXPECT_EQ(count.pixels(), counted[count.label()]) << count.name();
  }
  EXPECT_EQ(total, side * side);
  EXPECT_EQ(response.class_counts(1).name(), "skin");
}

TEST_F(ServingTest, EnhanceReturnsJpegAtRequestedSize) {
  v1::EnhanceRequest request;
  request.mutable_image()->set_encoded(PngBytes(MakeFace(90, 90, 3)));
  request.set_encoding(v1::IMAGE_ENCODING_JPEG);
  request.set_jpeg_quality(80);
  v1::EnhanceResponse response;
  grpc::ClientContext context;
  grpc::Status status = stub_->Enhance(&context, request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.restored().encoding(), v1::IMAGE_ENCODING_JPEG);
  auto decoded = DecodeImage(response.restored().data(), DecodeLimits());
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->cols, 90);
  EXPECT_EQ(decoded->rows, 90);
  EXPECT_EQ(response.info().model_version(), 1);
}

TEST_F(ServingTest, RawInputsMatchEncodedInputs) {
  const cv::Mat rgb = MakeFace(64, 48, 4);
  cv::Mat bgr, gray, gray_rgb;
  cv::cvtColor(rgb, bgr, cv::COLOR_RGB2BGR);
  cv::cvtColor(rgb, gray, cv::COLOR_RGB2GRAY);
  cv::cvtColor(gray, gray_rgb, cv::COLOR_GRAY2RGB);
  struct Case {
    const char* name;
    v1::PixelFormat format;
    cv::Mat pixels;     // Sent raw.
    cv::Mat reference;  // Sent as PNG (RGB).
  };
  const Case cases[] = {
      {"rgb", v1::PIXEL_FORMAT_RGB, rgb, rgb},
      {"bgr", v1::PIXEL_FORMAT_BGR, bgr, rgb},
      {"gray", v1::PIXEL_FORMAT_GRAY, gray, gray_rgb},
  };
  for (const Case& c : cases) {
    v1::ParseRequest encoded = PngRequest(c.reference);
    encoded.set_label_encoding(v1::IMAGE_ENCODING_RAW);
    v1::ParseRequest raw;
    raw.set_label_encoding(v1::IMAGE_ENCODING_RAW);
    v1::RawImage* image = raw.mutable_image()->mutable_raw();
    image->set_data(reinterpret_cast<const char*>(c.pixels.data),
                    c.pixels.total() * c.pixels.elemSize());
    image->set_width(c.pixels.cols);
    image->set_height(c.pixels.rows);
    image->set_format(c.format);
    v1::ParseResponse a, b;
    ASSERT_TRUE(Parse(stub_.get(), encoded, &a).ok()) << c.name;
    grpc::Status status = Parse(stub_.get(), raw, &b);
    ASSERT_TRUE(status.ok()) << c.name << ": " << status.error_message();
    EXPECT_EQ(b.labels().width(), 64) << c.name;
    EXPECT_EQ(b.labels().height(), 48) << c.name;
    EXPECT_EQ(a.labels().data(), b.labels().data()) << c.name;
  }
}

// Concurrent requests are batched (batch_size > 1 seen) and give the same
// outputs as when sent alone.
TEST_F(ServingTest, BatchedOutputsEqualSingleOutputs) {
  constexpr int kN = 4;
  std::vector<v1::ParseRequest> requests;
  std::vector<v1::ParseResponse> alone(kN), together(kN);
  for (int i = 0; i < kN; ++i) {
    requests.push_back(PngRequest(MakeFace(64, 64, 10 + i)));
    requests.back().set_label_encoding(v1::IMAGE_ENCODING_RAW);
    requests.back().set_want_restored(true);
    requests.back().set_image_encoding(v1::IMAGE_ENCODING_RAW);
    ASSERT_TRUE(Parse(stub_.get(), requests[i], &alone[i]).ok());
  }
  int max_batch = 0;
  for (int attempt = 0; attempt < 5 && max_batch < 2; ++attempt) {
    std::vector<std::thread> threads;
    std::atomic<int> failures{0};
    for (int i = 0; i < kN; ++i) {
      threads.emplace_back([&, i] {
        auto stub = server_->NewStub();
        together[i].Clear();
        if (!Parse(stub.get(), requests[i], &together[i]).ok()) ++failures;
      });
    }
    for (auto& t : threads) t.join();
    ASSERT_EQ(failures, 0);
    for (int i = 0; i < kN; ++i) {
      max_batch =
          std::max(max_batch, together[i].info().timings().batch_size());
    }
  }
  EXPECT_GE(max_batch, 2) << "requests were never batched together";
  for (int i = 0; i < kN; ++i) {
    const std::string& la = alone[i].labels().data();
    const std::string& lb = together[i].labels().data();
    ASSERT_EQ(la.size(), lb.size());
    int differing = 0;
    for (size_t p = 0; p < la.size(); ++p) differing += la[p] != lb[p];
    EXPECT_LE(differing, 2) << "image " << i;  // argmax ties only.
    const std::string& ra = alone[i].restored().data();
    const std::string& rb = together[i].restored().data();
    ASSERT_EQ(ra.size(), rb.size());
    int max_diff = 0;
    for (size_t p = 0; p < ra.size(); ++p) {
      max_diff = std::max(max_diff, std::abs(static_cast<uint8_t>(ra[p]) -
                                             static_cast<uint8_t>(rb[p])));
    }
    EXPECT_LE(max_diff, 1) << "image " << i;
  }
}

struct ErrorCase {
  const char* name;
  std::function<void(v1::ParseRequest*)> make;
  grpc::StatusCode code;
  const char* message_part;
};

TEST_F(ServingTest, BadRequestsGetCodeAndMessage) {
  const std::vector<ErrorCase> cases = {
      {"no image", [](v1::ParseRequest*) {}, grpc::INVALID_ARGUMENT,
       "no image"},
      {"empty bytes",
       [](v1::ParseRequest* r) { r->mutable_image()->set_encoded(""); },
       grpc::INVALID_ARGUMENT, "empty"},
      {"garbage",
       [](v1::ParseRequest* r) {
         r->mutable_image()->set_encoded("this is not an image at all");
       },
       grpc::INVALID_ARGUMENT, "format"},
      {"truncated png",
       [](v1::ParseRequest* r) {
         std::string png = PngBytes(MakeFace(40, 40, 5));
         r->mutable_image()->set_encoded(png.substr(0, png.size() / 2));
       },
       grpc::INVALID_ARGUMENT, "PNG"},
      {"side over limit",
       [](v1::ParseRequest* r) {
         r->mutable_image()->set_encoded(PngBytes(MakeFace(1100, 4, 6)));
       },
       grpc::INVALID_ARGUMENT, "--max_side=1024"},
      {"bytes over limit",
       [](v1::ParseRequest* r) {
         r->mutable_image()->set_encoded(std::string(400000, 'x'));
       },
       grpc::INVALID_ARGUMENT, "--max_image_bytes=300000"},
      {"pixels over limit, from the header alone",
       [](v1::ParseRequest* r) {
         // A tiny PNG whose header claims 900x900: refused before decoding
         // (a decompression bomb costs nothing).
         std::string png = PngBytes(MakeFace(8, 8, 6));
         const char size[8] = {0, 0, 3, static_cast<char>(0x84),
                               0, 0, 3, static_cast<char>(0x84)};
         png.replace(16, 8, size, 8);
         r->mutable_image()->set_encoded(png);
       },
       grpc::INVALID_ARGUMENT, "--max_pixels=500000"},
      {"raw wrong length",
       [](v1::ParseRequest* r) {
         auto* raw = r->mutable_image()->mutable_raw();
         raw->set_data(std::string(10, 'a'));
         raw->set_width(4);
         raw->set_height(4);
         raw->set_format(v1::PIXEL_FORMAT_RGB);
       },
       grpc::INVALID_ARGUMENT, "48"},
      {"raw without format",
       [](v1::ParseRequest* r) {
         auto* raw = r->mutable_image()->mutable_raw();
         raw->set_data(std::string(48, 'a'));
         raw->set_width(4);
         raw->set_height(4);
       },
       grpc::INVALID_ARGUMENT, "pixel format"},
      {"jpeg labels",
       [](v1::ParseRequest* r) {
         r->mutable_image()->set_encoded(PngBytes(MakeFace(8, 8, 7)));
         r->set_label_encoding(v1::IMAGE_ENCODING_JPEG);
       },
       grpc::INVALID_ARGUMENT, "label_encoding"},
      {"jpeg quality",
       [](v1::ParseRequest* r) {
         r->mutable_image()->set_encoded(PngBytes(MakeFace(8, 8, 7)));
         r->set_jpeg_quality(101);
       },
       grpc::INVALID_ARGUMENT, "jpeg_quality"},
      {"message over limit",
       [](v1::ParseRequest* r) {
         r->mutable_image()->set_encoded(std::string(1500000, 'x'));
       },
       grpc::RESOURCE_EXHAUSTED, ""},
  };
  for (const ErrorCase& c : cases) {
    v1::ParseRequest request;
    c.make(&request);
    v1::ParseResponse response;
    grpc::Status status = Parse(stub_.get(), request, &response);
    EXPECT_EQ(status.error_code(), c.code)
        << c.name << ": " << status.error_message();
    EXPECT_NE(status.error_message().find(c.message_part), std::string::npos)
        << c.name << ": " << status.error_message();
  }
  // Still serving after all of that.
  v1::ParseResponse response;
  EXPECT_TRUE(
      Parse(stub_.get(), PngRequest(MakeFace(8, 8, 1)), &response).ok());
}

TEST_F(ServingTest, OddButValidImagesAreAnswered) {
  std::vector<std::pair<const char*, cv::Mat>> images;
  images.push_back({"1x1", MakeFace(1, 1, 1)});
  cv::Mat gray(30, 20, CV_8UC1, cv::Scalar(90));
  images.push_back({"gray", gray});
  cv::Mat rgba(16, 16, CV_8UC4, cv::Scalar(10, 20, 30, 128));
  images.push_back({"rgba", rgba});
  cv::Mat deep(16, 16, CV_16UC3, cv::Scalar(1000, 30000, 60000));
  images.push_back({"16-bit", deep});
  for (const auto& [name, image] : images) {
    std::vector<uint8_t> png;
    ASSERT_TRUE(cv::imencode(".png", image, png)) << name;
    v1::ParseRequest request;
    request.mutable_image()->set_encoded(std::string(png.begin(), png.end()));
    v1::ParseResponse response;
    grpc::Status status = Parse(stub_.get(), request, &response);
    ASSERT_TRUE(status.ok()) << name << ": " << status.error_message();
    EXPECT_EQ(response.labels().width(), image.cols) << name;
    EXPECT_EQ(response.labels().height(), image.rows) << name;
  }
}

TEST_F(ServingTest, GetModelInfoDescribesTheVersion) {
  grpc::ClientContext context;
  v1::GetModelInfoResponse info;
  ASSERT_TRUE(stub_->GetModelInfo(&context, {}, &info).ok());
  EXPECT_EQ(info.model_name(), kModel);
  EXPECT_EQ(info.version(), 1);
  EXPECT_EQ(info.config().in_size(), TinyConfig().in_size);
  EXPECT_EQ(info.config().base_ch(), TinyConfig().base_ch);
  ASSERT_EQ(info.labels_size(), 19);
  EXPECT_EQ(info.labels(1).name(), "skin");
  EXPECT_EQ(info.labels(1).r(), 204u);
  EXPECT_EQ(info.device(), "cpu");
  EXPECT_EQ(info.precision(), "fp32");
  EXPECT_DOUBLE_EQ(info.metrics().at("val_miou"), 0.5);
  EXPECT_EQ(info.version_policy(), "latest");
  EXPECT_EQ(info.max_batch_size(), 4);
  EXPECT_EQ(info.effective_max_batch_size(), 4);  // --adaptive_batching=false
  EXPECT_TRUE(info.engine() == "torch" || info.engine() == "onednn")
      << info.engine();
}

TEST_F(ServingTest, StreamGivesEachItemItsOwnStatus) {
  grpc::ClientContext context;
  auto stream = stub_->ParseStream(&context);
  constexpr int kItems = 6;
  for (int i = 0; i < kItems; ++i) {
    v1::ParseStreamRequest item;
    item.set_tag(absl::StrCat("item-", i));
    if (i == 2) {
      item.mutable_request()->mutable_image()->set_encoded("broken");
    } else {
      item.mutable_request()->mutable_image()->set_encoded(
          PngBytes(MakeFace(40 + i, 40, i)));
    }
    ASSERT_TRUE(stream->Write(item));
  }
  stream->WritesDone();
  std::map<std::string, v1::ParseStreamResponse> got;
  v1::ParseStreamResponse response;
  while (stream->Read(&response)) got[response.tag()] = response;
  ASSERT_TRUE(stream->Finish().ok());
  ASSERT_EQ(got.size(), size_t{kItems});
  for (int i = 0; i < kItems; ++i) {
    const auto& r = got[absl::StrCat("item-", i)];
    if (i == 2) {
      EXPECT_EQ(r.status().code(), grpc::INVALID_ARGUMENT);
      EXPECT_FALSE(r.status().message().empty());
      EXPECT_FALSE(r.has_response());
    } else {
      EXPECT_EQ(r.status().code(), 0) << r.status().message();
      EXPECT_EQ(r.response().labels().width(), 40 + i);
      EXPECT_EQ(r.response().info().model_version(), 1);
    }
  }
}

TEST_F(ServingTest, MetricsSeriesArePresentAndMove) {
  auto before = HttpGet(server_->metrics_port(), "/metrics");
  ASSERT_TRUE(before.ok()) << before.status();
  const std::string ok_parse =
      "facet_requests_total{code=\"OK\",method=\"Parse\"}";
  const double count = std::max(0.0, MetricValue(*before, ok_parse));
  v1::ParseResponse response;
  ASSERT_TRUE(
      Parse(stub_.get(), PngRequest(MakeFace(8, 8, 1)), &response).ok());
  auto after = HttpGet(server_->metrics_port(), "/metrics");
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(MetricValue(*after, ok_parse), count + 1);
  for (const char* series :
       {"facet_request_duration_seconds_count",
        "facet_queue_duration_seconds_count",
        "facet_preprocess_duration_seconds_count",
        "facet_compute_duration_seconds_count",
        "facet_postprocess_duration_seconds_count", "facet_batch_size_count",
        "facet_queue_depth", "facet_inflight_requests", "facet_model_version",
        "facet_process_resident_memory_bytes", "facet_process_open_fds",
        "facet_process_threads", "facet_process_cpu_seconds_total",
        "facet_model_load_duration_seconds_count"}) {
    EXPECT_GE(MetricValue(*after, series), 0) << series;
  }
  EXPECT_GT(MetricValue(*after, "facet_request_duration_seconds_count"),
            MetricValue(*before, "facet_request_duration_seconds_count"));
  EXPECT_EQ(MetricValue(*after, "facet_model_version"), 1);
  EXPECT_EQ(MetricValue(*after, "facet_model_loads_total{result=\"success\"}"),
            1);
  EXPECT_NE(after->find("facet_model_info{device=\"cpu\",engine=\""),
            std::string::npos);
  EXPECT_NE(after->find("\",model=\"faces\",precision=\"fp32\","
                        "version=\"1\"} 1"),
            std::string::npos);
  EXPECT_EQ(MetricValue(*after, "facet_effective_max_batch_size"), 4);
  EXPECT_GT(MetricValue(*after, "facet_startup_seconds"), 0);
  // A bad request moves the rejection counter and the error code's series.
  const std::string invalid =
      "facet_rejections_total{reason=\"invalid_input\"}";
  const std::string bad_parse =
      "facet_requests_total{code=\"INVALID_ARGUMENT\",method=\"Parse\"}";
  const double invalid_before = std::max(0.0, MetricValue(*after, invalid));
  const double bad_before = std::max(0.0, MetricValue(*after, bad_parse));
  v1::ParseRequest bad;
  bad.mutable_image()->set_encoded("not an image");
  EXPECT_EQ(Parse(stub_.get(), bad, &response).error_code(),
            grpc::INVALID_ARGUMENT);
  auto last = HttpGet(server_->metrics_port(), "/metrics");
  ASSERT_TRUE(last.ok()) << last.status();
  EXPECT_EQ(MetricValue(*last, invalid), invalid_before + 1);
  EXPECT_EQ(MetricValue(*last, bad_parse), bad_before + 1);
}

TEST_F(ServingTest, ReflectionAndHealthAreServed) {
  EXPECT_EQ(HealthStatus(*server_), 1);
  // Reflection: the service answers ServerReflectionInfo (checked through
  // the generic channel: an unimplemented method would give UNIMPLEMENTED).
  grpc::GenericStub generic(grpc::CreateChannel(
      server_->address(), grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::seconds(5));
  grpc::CompletionQueue cq;
  auto call = generic.PrepareCall(
      &context,
      "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo", &cq);
  call->StartCall(reinterpret_cast<void*>(1));
  void* tag;
  bool ok;
  ASSERT_TRUE(cq.Next(&tag, &ok));
  EXPECT_TRUE(ok);
  call->WritesDone(reinterpret_cast<void*>(2));
  ASSERT_TRUE(cq.Next(&tag, &ok));
  grpc::Status status;
  call->Finish(&status, reinterpret_cast<void*>(3));
  ASSERT_TRUE(cq.Next(&tag, &ok));
  EXPECT_NE(status.error_code(), grpc::UNIMPLEMENTED) << status.error_message();
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }
}

// --mirror_average: the server parses each face and its mirror image and
// averages them, so the parse of a mirrored face is the mirrored parse
// (left and right labels swapped).
TEST(MirrorAverageServingTest, MirroredFaceGetsTheMirroredParse) {
  const std::string repo =
      testing::MakeTempDirRemovedAtExit("facet_mirror_repo");
  ASSERT_EQ(PublishVersion(repo, kModel, 1), 1);
  auto server = ServerProcess::Start(
      {"--model_repository=" + repo, std::string("--model_name=") + kModel,
       "--device=cpu", "--mirror_average", "--adaptive_batching=false",
       "--intra_op_threads=1"});
  ASSERT_TRUE(server.ok()) << server.status();
  const absl::Time end = absl::Now() + absl::Seconds(60);
  while (HealthStatus(**server) != 1 && absl::Now() < end) {
    absl::SleepFor(absl::Milliseconds(50));
  }
  ASSERT_EQ(HealthStatus(**server), 1) << (*server)->Log();
  EXPECT_NE((*server)->Log().find("mirror averaging"), std::string::npos);
  auto stub = (*server)->NewStub();
  // At the network's size (64 px), so no resize breaks the symmetry.
  const cv::Mat face = MakeFace(64, 64, 3);
  cv::Mat mirrored;
  cv::flip(face, mirrored, 1);
  cv::Mat labels[2];
  for (int i = 0; i < 2; ++i) {
    v1::ParseResponse response;
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::seconds(30));
    grpc::Status status =
        stub->Parse(&context, PngRequest(i == 0 ? face : mirrored), &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
    const std::string& data = response.labels().data();
    labels[i] = cv::imdecode(std::vector<uint8_t>(data.begin(), data.end()),
                             cv::IMREAD_UNCHANGED);
    ASSERT_EQ(labels[i].size(), cv::Size(64, 64));
  }
  int agree = 0;
  for (int y = 0; y < 64; ++y) {
    for (int x = 0; x < 64; ++x) {
      agree += labels[1].at<uint8_t>(y, 63 - x) ==
               MirroredLabel(labels[0].at<uint8_t>(y, x));
    }
  }
  EXPECT_GE(agree, 64 * 64 - 4) << (*server)->Log();
}

}  // namespace
}  // namespace server_test
}  // namespace facet
