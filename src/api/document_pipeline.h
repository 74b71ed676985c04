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
// file, not a PDF, a bad page range, an http source not allowed; Unsupported for an
// allowed http source (not fetched yet) and for hybrid chunking without a tokenizer.
Status check_document_request(const DocumentRequest& request, const DocumentServiceOptions& options,
                              bool have_tokenizer);

// Converts every source. A source that cannot be opened at all (corrupt PDF) fails the
// job with InvalidArgument naming the file; page failures are errors of a partial result.
Result<DocumentResponse> process_documents(const DocumentRequest& request,
                                           const DocumentServiceOptions& options,
                                           const formats::Tokenizer* tokenizer);

}  // namespace fourbrain::api
