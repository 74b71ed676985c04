// The work of one document job, apart from the queue that schedules it: each source
// converted by docling (limits from the service, lowered by the request), exported to the
// formats asked for, and chunked when the request is a chunking. Also the checks a request
// passes before it may queue. Internal to api/ (DocumentService and the KServe docling
// model); plain functions, thread-safe (the tokenizer is immutable).
#pragma once

#include "api/document_service.h"
#include "api/document_types.h"
#include "base/status.h"

namespace fourbrain::api {

// InvalidArgument naming the source and the reason: no sources, an empty or oversized
// file (the message contains kOverSizeLimit), not a PDF, a bad page range, an http source
// not allowed (api/http_fetch.h); Unsupported for an https source and for hybrid chunking
// without a tokenizer.
Status check_document_request(const DocumentRequest& request, const DocumentServiceOptions& options,
                              bool have_tokenizer);

// Converts every source, fetching http sources first on the calling thread (the checks of
// a file then apply to the fetched body). A source that cannot be fetched or opened at all
// (corrupt PDF) fails the job with InvalidArgument naming it; page failures are errors of
// a partial result.
Result<DocumentResponse> process_documents(const DocumentRequest& request,
                                           const DocumentServiceOptions& options,
                                           const formats::Tokenizer* tokenizer);

}  // namespace fourbrain::api
