// Reads PDF pages through poppler (Debian's libpoppler): text cells with fonts, ruling
// lines, rectangles and image regions (page_content.h), and rendered page images for OCR.
// poppler's headers stay inside pdf_reader.cc.
//
// Ownership: a PdfReader owns the document bytes and poppler's document. Not thread-safe:
// one reader per conversion (poppler shares nothing between documents except its global
// parameters, which are set up once, under a lock). Failure: a file poppler cannot open
// (corrupt, truncated, encrypted with a non-empty user password) is InvalidArgument with
// poppler's reason; a page that fails or runs past its deadline is an error for that page
// only.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "base/status.h"
#include "docling/pdf/page_content.h"

namespace fourbrain::docling {

class PdfReader {
 public:
  static Result<std::unique_ptr<PdfReader>> open(std::string bytes);
  ~PdfReader();
  PdfReader(const PdfReader&) = delete;
  PdfReader& operator=(const PdfReader&) = delete;

  int page_count() const;
  // page_no is 1-based. The deadline bounds poppler's content-stream interpretation;
  // past it the page is Unavailable ("took longer than ...").
  Result<PageContent> read_page(int page_no, std::chrono::steady_clock::time_point deadline);
  // Renders the page (displayed orientation) at `scale` pixels per point, grey.
  Result<PageImage> render_page(int page_no, double scale,
                                std::chrono::steady_clock::time_point deadline);

 private:
  struct Impl;
  explicit PdfReader(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace fourbrain::docling
