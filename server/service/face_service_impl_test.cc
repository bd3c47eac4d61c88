// FaceServiceImpl's handlers called directly, without a gRPC server or a
// network: a real Batcher, HealthReporter and ModelManager, the manager
// loading FakeFaceEngine versions through its injected loader.
#include "server/service/face_service_impl.h"

#include <stdlib.h>
#include <sys/stat.h>

#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "tests/util/fake_clock.h"
#include "tests/util/fake_face_engine.h"

namespace facet {
namespace {

constexpr int kSide = 16;

class FaceServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = ::testing::TempDir() + "/facet_service_XXXXXX";
    ASSERT_NE(mkdtemp(root_.data()), nullptr);
    ASSERT_EQ(mkdir((root_ + "/m").c_str(), 0755), 0);
    MetricsOptions metrics_options;
    metrics_options.bind_address = "";  // Series only, no endpoint.
    auto metrics = Metrics::Create(metrics_options);
    ASSERT_TRUE(metrics.ok()) << metrics.status();
    metrics_ = *std::move(metrics);

    ModelManagerOptions manager_options;
    manager_options.repository_root = root_;
    manager_options.model_name = "m";
    manager_options.watch_repository = false;
    manager_options.load_model =
        [this](const std::string&, const std::string& name,
               int64_t version) -> absl::StatusOr<ModelHandle> {
      if (version == 13) return absl::DataLossError("fake: corrupt");
      const testing::FakeFaceEngine* engine = nullptr;
      ModelHandle model = testing::MakeFakeModel(name, version, kSide, &engine);
      engine_ = engine;
      return model;
    };
    auto manager = ModelManager::Create(manager_options);
    ASSERT_TRUE(manager.ok()) << manager.status();
    manager_ = *std::move(manager);

    BatcherOptions batcher_options;
    batcher_options.max_queue_delay = absl::ZeroDuration();
    batcher_options.clock = &clock_;
    ModelManager* m = manager_.get();
    batcher_options.model_provider = [m] { return m->Current(); };
    batcher_options.metrics = metrics_.get();
    auto batcher = Batcher::Create(batcher_options);
    ASSERT_TRUE(batcher.ok()) << batcher.status();
    batcher_ = *std::move(batcher);

    HealthReporterOptions health_options;
    health_options.model_loaded = [m] { return m->Current() != nullptr; };
    health_options.batcher_alive = [this] { return batcher_->alive(); };
    health_options.clock = &clock_;  // Never advanced: no polls.
    health_ = std::make_unique<HealthReporter>(health_options);

    FaceServiceOptions options;
    options.batcher = batcher_.get();
    options.manager = manager_.get();
    options.health = health_.get();
    options.metrics = metrics_.get();
    options.max_batch_size = 8;
    service_ = std::make_unique<FaceServiceImpl>(options);
  }

  static v1::ParseRequest GreyRequest() {
    v1::ParseRequest request;
    v1::RawImage* raw = request.mutable_image()->mutable_raw();
    raw->set_format(v1::PIXEL_FORMAT_RGB);
    raw->set_width(kSide);
    raw->set_height(kSide);
    raw->set_data(std::string(kSide * kSide * 3, '\x60'));
    return request;
  }

  grpc::Status Parse(const v1::ParseRequest& request,
                     v1::ParseResponse* response) {
    grpc::ServerContext context;
    return service_->Parse(&context, &request, response);
  }

  std::string root_;
  testing::FakeClock clock_;
  const testing::FakeFaceEngine* engine_ = nullptr;  // Of the last load.
  std::unique_ptr<Metrics> metrics_;
  std::unique_ptr<ModelManager> manager_;
  std::unique_ptr<Batcher> batcher_;
  std::unique_ptr<HealthReporter> health_;
  std::unique_ptr<FaceServiceImpl> service_;
};

TEST_F(FaceServiceTest, UnavailableWithoutAModel) {
  v1::ParseResponse response;
  grpc::Status status = Parse(GreyRequest(), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE)
      << status.error_message();
  grpc::ServerContext context;
  v1::GetModelInfoRequest info_request;
  v1::GetModelInfoResponse info;
  EXPECT_EQ(service_->GetModelInfo(&context, &info_request, &info).error_code(),
            grpc::StatusCode::UNAVAILABLE);
}

TEST_F(FaceServiceTest, ParsesOnTheServedVersion) {
  manager_->SetAspiredVersions({{2, 1}, VersionPolicy()});
  v1::ParseResponse response;
  grpc::Status status = Parse(GreyRequest(), &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(response.info().model_name(), "m");
  EXPECT_EQ(response.info().model_version(), 2);
  EXPECT_EQ(response.info().timings().batch_size(), 1);
  EXPECT_FALSE(response.labels().data().empty());
  ASSERT_NE(engine_, nullptr);
  EXPECT_EQ(engine_->calls(), 1);
}

TEST_F(FaceServiceTest, BadInputIsInvalidArgumentAndNotComputed) {
  manager_->SetAspiredVersions({{1}, VersionPolicy()});
  v1::ParseRequest request = GreyRequest();
  request.mutable_image()->mutable_raw()->set_width(kSide + 1);
  v1::ParseResponse response;
  grpc::Status status = Parse(request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
      << status.error_message();
  v1::ParseRequest empty;
  EXPECT_EQ(Parse(empty, &response).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(engine_->calls(), 0);
}

TEST_F(FaceServiceTest, DrainingRefusesNewRequests) {
  manager_->SetAspiredVersions({{1}, VersionPolicy()});
  health_->SetDraining();
  v1::ParseResponse response;
  grpc::Status status = Parse(GreyRequest(), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_NE(status.error_message().find("draining"), std::string::npos);
  EXPECT_EQ(engine_->calls(), 0);
}

TEST_F(FaceServiceTest, ModelInfoReportsVersionPolicyAndFailures) {
  manager_->SetAspiredVersions({{13, 4}, VersionPolicy()});
  grpc::ServerContext context;
  v1::GetModelInfoRequest request;
  v1::GetModelInfoResponse info;
  ASSERT_TRUE(service_->GetModelInfo(&context, &request, &info).ok());
  EXPECT_EQ(info.model_name(), "m");
  EXPECT_EQ(info.version(), 4);
  EXPECT_EQ(info.version_policy(), "latest");
  ASSERT_EQ(info.failed_versions_size(), 1);
  EXPECT_EQ(info.failed_versions(0), 13);
  EXPECT_EQ(info.config().in_size(), kSide);
  EXPECT_EQ(info.engine(), "fake");
  EXPECT_EQ(info.max_batch_size(), 8);
  EXPECT_EQ(info.effective_max_batch_size(), 8);
  EXPECT_GT(info.labels_size(), 0);
}

}  // namespace
}  // namespace facet
