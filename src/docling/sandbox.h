// Converting untrusted PDFs in a child process, so that a PDF that crashes, hangs or eats
// memory inside poppler or tesseract costs one conversion, never the server.
//
// The parent starts `worker_exe docling-worker` (the fourbrain binary itself), sends the
// options and the bytes on its stdin, and reads back the conversion result as Docling JSON
// on its stdout. The child caps its own address space (RLIMIT_AS) and CPU time; the parent
// kills it at the document's time limit. A child that dies is an InvalidArgument naming
// how ("the PDF crashed the converter (signal 11)", "... ran out of its memory limit").
//
// Thread-safe: each call has its own child. Costs one process start per document.
#pragma once

#include <cstddef>
#include <cstdio>
#include <string>

#include "base/status.h"
#include "docling/converter.h"

namespace fourbrain::docling {

struct SandboxLimits {
  size_t max_memory_bytes = size_t{2} << 30;  // on top of the child's address space at start
};

// Converts in a child process; same contract as convert_pdf. options.document_time_limit
// is enforced by the parent (the child is killed).
Result<ConversionResult> convert_pdf_sandboxed(const std::string& worker_exe, std::string bytes,
                                               const ConvertOptions& options,
                                               const SandboxLimits& limits = {});

// The child's side: reads one request from `in`, converts, writes the result to `out`.
// Returns the process exit code.
int run_sandbox_worker(std::FILE* in, std::FILE* out);

// This process's own executable (readlink of /proc/self/exe); "" if unknown.
std::string self_executable();

}  // namespace fourbrain::docling
