// PDF to DoclingDocument: the conversion pipeline. Reads each page through poppler,
// recognises pages without a text layer with tesseract (OCR auto|force|off), analyses the
// layout of each page, then assembles the document.
//
// Limits protect the server: file size, page count, a time limit per page and per
// document. A page that fails (bad content stream, over its time) is reported in `errors`
// and left out; the other pages still convert (status kPartialSuccess). A file that cannot
// be opened at all is an error Status (InvalidArgument), not a result.
//
// Thread-safe: each call builds its own reader and OCR engine.
#pragma once

#include <chrono>
#include <climits>
#include <string>
#include <vector>

#include "base/status.h"
#include "docling/document.h"
#include "docling/layout/layout.h"

namespace fourbrain::docling {

enum class OcrMode { kAuto, kForce, kOff };
Result<OcrMode> parse_ocr_mode(const std::string& text);

struct ConvertOptions {
  std::string filename = "document.pdf";  // for the document's name and origin
  int first_page = 1;                     // 1-based, inclusive
  int last_page = INT_MAX;
  OcrMode ocr = OcrMode::kAuto;
  std::string ocr_languages = "eng";
  size_t max_file_bytes = size_t{200} << 20;
  int max_pages = 2000;
  std::chrono::milliseconds page_time_limit{20000};
  std::chrono::milliseconds document_time_limit{600000};
};

// "3", "1-10", "5-" into first/last page; InvalidArgument otherwise.
Status parse_page_range(const std::string& text, ConvertOptions* options);

enum class ConversionStatus { kSuccess, kPartialSuccess, kFailure };
const char* status_name(ConversionStatus status);

struct PageError {
  int page_no = 0;
  std::string message;
};

struct ConversionResult {
  DoclingDocument document;
  ConversionStatus status = ConversionStatus::kSuccess;
  std::vector<PageError> errors;
  int pages_converted = 0;
  int pages_ocr = 0;    // pages recognised whole
  int regions_ocr = 0;  // pictures recognised for the text drawn into them
  double seconds = 0;
};

// `analyzer` null: the heuristic analyzer.
Result<ConversionResult> convert_pdf(std::string bytes, const ConvertOptions& options,
                                     const LayoutAnalyzer* analyzer = nullptr);

}  // namespace fourbrain::docling
