#include "server/common/status_mapping.h"

namespace fourbrain::server {

int http_status_of(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return 200;
    case StatusCode::kNotFound:
      return 404;
    case StatusCode::kUnavailable:
    case StatusCode::kResourceExhausted:
      return 503;
    case StatusCode::kUnsupported:
      return 501;
    case StatusCode::kInternal:
      return 500;
    case StatusCode::kInvalidArgument:
    case StatusCode::kAlreadyExists:
    case StatusCode::kCancelled:
      return 400;
  }
  return 400;
}

}  // namespace fourbrain::server
