// Every ApiResponse alternative except the fetch (fetch_encoder.h) -> an
// HttpResponse. Small documents, written with JsonWriter so no string from
// the broker can make the encoder throw.
#pragma once

#include "core/protocol/http.h"
#include "core/protocol/messages.h"

namespace gafka {

HttpResponse EncodeError(const ApiError& error);
HttpResponse EncodeProduce(const ProduceResponse& response);
HttpResponse EncodeTopic(const TopicResponse& response);
HttpResponse EncodeTopicList(const TopicListResponse& response);
HttpResponse EncodePartitionOffsets(const PartitionOffsetsResponse& response);
HttpResponse EncodeDeleted(const DeletedResponse& response);
HttpResponse EncodeHealth(const HealthResponse& response);
HttpResponse EncodeStatus(const StatusResponse& response);
HttpResponse EncodeMetrics(const MetricsResponse& response);
HttpResponse EncodeGroup(const GroupResponse& response);

}  // namespace gafka
