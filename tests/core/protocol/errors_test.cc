#include "core/protocol/errors.h"

#include <gtest/gtest.h>

#include "core/protocol/codec.h"

namespace gafka {
namespace {

struct Case {
  Status status;
  int http_status;
  int error_code;
};

TEST(ErrorFromStatus, MapsEveryCodeAndDetail) {
  const Case cases[] = {
      {InvalidArgument("x"), 400, 40000},
      {InvalidArgument("x", api_errors::kBadCount % 100), 400, 40008},
      {OutOfRange("offset 5 outside [0, 3]"), 400, 40013},
      {NotFound("x"), 404, 40400},
      {NotFound("x", kDetailTopicNotFound), 404, 40401},
      {NotFound("x", kDetailPartitionNotFound), 404, 40402},
      {NotFound("x", kDetailGroupNotFound), 404, 40403},
      {NotFound("x", kDetailMemberNotFound), 404, 40404},
      {AlreadyExists("x"), 409, 40905},
      {Conflict("x"), 409, 40900},
      {Conflict("x", kDetailNotOwner), 409, 40901},
      {Conflict("x", kDetailStaleGeneration), 409, 40902},
      {Conflict("x", kDetailNotLeader), 409, 40903},
      {Conflict("x", kDetailPollInFlight), 409, 40904},
      {TooLarge("x"), 413, 41300},
      {TooLarge("x", kDetailMessageTooLarge), 413, 41301},
      {TooLarge("x", kDetailRequestTooLarge), 413, 41302},
      {Unavailable("x"), 503, 50300},
      {Unavailable("x", kDetailNotEnoughReplicas), 503, 50301},
      {Unavailable("x", kDetailShuttingDown), 503, 50302},
      {Unavailable("x", kDetailPartitionFailed), 503, 50303},
      {Corruption("bad crc in 00000.log at offset 7"), 503, 50304},
      {IoError("x"), 503, 50305},
      {NoSpace("x"), 503, 50305},
      {Timeout("x"), 504, 50401},
      {Internal("x"), 500, 50001},
      {NotFound("x", 100), 404, 40400},  // out-of-range detail: ignored
      {NotFound("x", -1), 404, 40400},
  };
  for (const Case& c : cases) {
    const ApiError error = ErrorFromStatus(c.status);
    EXPECT_EQ(error.http_status, c.http_status) << c.status.ToString();
    EXPECT_EQ(error.error_code, c.error_code) << c.status.ToString();
    EXPECT_EQ(error.message, c.status.message());
    EXPECT_TRUE(error.leader_hint.empty());
  }
}

TEST(ErrorFromStatus, KeepsTheMessageAndNamesAnEmptyOne) {
  EXPECT_EQ(ErrorFromStatus(Corruption("crc mismatch in t-0/00000000000000000000.log at offset 12"))
                .message,
            "crc mismatch in t-0/00000000000000000000.log at offset 12");
  EXPECT_EQ(ErrorFromStatus(Status(Code::kNotFound, "")).message, "not_found");
}

TEST(ErrorFromStatus, OkIsAnInternalError) {
  const ApiError error = ErrorFromStatus(Status::Ok());
  EXPECT_EQ(error.http_status, 500);
  EXPECT_EQ(error.error_code, 50001);
}

TEST(MakeApiError, StatusIsTheCodeOverAHundred) {
  const ApiError error = MakeApiError(api_errors::kMessageTooLarge, "big");
  EXPECT_EQ(error.http_status, 413);
  EXPECT_EQ(error.error_code, 41301);
  EXPECT_EQ(error.message, "big");
}

}  // namespace
}  // namespace gafka
