// The one place where our status codes become protocol codes (DESIGN rule 4). HTTP follows
// Triton's HttpCodeFromError (triton.md §1.11); gRPC will get its own function here.
#pragma once

#include "base/status.h"

namespace fourbrain::server {

int http_status_of(StatusCode code);

}  // namespace fourbrain::server
