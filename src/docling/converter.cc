#include "docling/converter.h"

#include <algorithm>

#include "base/sha256.h"
#include "docling/assemble/assembler.h"
#include "docling/ocr/ocr_engine.h"
#include "docling/pdf/pdf_reader.h"

namespace fourbrain::docling {
namespace {

using Clock = std::chrono::steady_clock;

constexpr double kOcrScale = 3.0;  // 216 dpi, as Docling renders for OCR

size_t text_chars(const PageContent& page) {
  size_t n = 0;
  for (const TextCell& c : page.cells) n += c.text.size();
  return n;
}

double image_coverage(const PageContent& page) {
  double area = 0;
  for (const BBox& b : page.images) area += std::min(b.area(), page.width * page.height);
  return area / (page.width * page.height);
}

// A page needs OCR when it has (almost) no text layer but draws images over much of it:
// a scanned page.
bool needs_ocr(const PageContent& page, OcrMode mode) {
  if (mode == OcrMode::kForce) return true;
  if (mode == OcrMode::kOff) return false;
  return text_chars(page) < 16 && image_coverage(page) > 0.3;
}

std::string file_stem(const std::string& filename) {
  size_t slash = filename.find_last_of('/');
  std::string base = slash == std::string::npos ? filename : filename.substr(slash + 1);
  size_t dot = base.find_last_of('.');
  return dot == std::string::npos || dot == 0 ? base : base.substr(0, dot);
}

uint64_t docling_binary_hash(const std::string& bytes) {
  std::string hex = sha256_hex(bytes);
  return std::stoull(hex.substr(hex.size() - 16), nullptr, 16);
}

// Images of at least this share of the page with no PDF text over them are recognised in
// auto mode: text drawn into a picture (a chart's labels, a pasted screenshot).
constexpr double kMinOcrImageShare = 0.01;
// Region words need more confidence than a scanned page's: a chart's shapes make noise.
constexpr double kRegionMinConfidence = 0.6;

std::vector<BBox> text_free_images(const PageContent& page) {
  std::vector<BBox> out;
  for (const BBox& b : page.images) {
    BBox box{std::max(0.0, b.l), std::max(0.0, b.t), std::min(page.width, b.r), std::min(page.height, b.b)};
    if (box.empty() || box.area() < kMinOcrImageShare * page.width * page.height) continue;
    bool has_text = false;
    for (const TextCell& c : page.cells) has_text |= c.bbox.fraction_inside(box) > 0.5;
    if (!has_text) out.push_back(box);
  }
  return out;
}

// The pixels of `box` (points) cut out of a page rendered at image.scale.
PageImage crop(const PageImage& image, const BBox& box) {
  const int x0 = std::clamp(static_cast<int>(box.l * image.scale), 0, image.width);
  const int y0 = std::clamp(static_cast<int>(box.t * image.scale), 0, image.height);
  const int x1 = std::clamp(static_cast<int>(box.r * image.scale), x0, image.width);
  const int y1 = std::clamp(static_cast<int>(box.b * image.scale), y0, image.height);
  PageImage out;
  out.width = x1 - x0;
  out.height = y1 - y0;
  out.channels = 1;
  out.scale = image.scale;
  out.pixels.resize(static_cast<size_t>(out.width) * out.height);
  for (int y = 0; y < out.height; ++y) {
    const unsigned char* row = image.pixels.data() + static_cast<size_t>(y0 + y) * image.width + x0;
    std::copy(row, row + out.width, out.pixels.begin() + static_cast<size_t>(y) * out.width);
  }
  return out;
}

}  // namespace

Result<OcrMode> parse_ocr_mode(const std::string& text) {
  if (text == "auto") return OcrMode::kAuto;
  if (text == "force") return OcrMode::kForce;
  if (text == "off") return OcrMode::kOff;
  return invalid_argument("OCR mode must be auto, force or off, not '" + text + "'");
}

Status parse_page_range(const std::string& text, ConvertOptions* options) {
  auto bad = [&] { return invalid_argument("page range must look like 3, 1-10 or 5-, not '" + text + "'"); };
  size_t dash = text.find('-');
  try {
    size_t used = 0;
    int first = std::stoi(text.substr(0, dash), &used);
    if (used != (dash == std::string::npos ? text.size() : dash) || first < 1) return bad();
    int last = first;
    if (dash != std::string::npos) {
      std::string tail = text.substr(dash + 1);
      last = tail.empty() ? INT_MAX : std::stoi(tail, &used);
      if (!tail.empty() && used != tail.size()) return bad();
    }
    if (last < first) return bad();
    options->first_page = first;
    options->last_page = last;
    return Status::ok();
  } catch (const std::exception&) {
    return bad();
  }
}

const char* status_name(ConversionStatus status) {
  switch (status) {
    case ConversionStatus::kSuccess: return "success";
    case ConversionStatus::kPartialSuccess: return "partial_success";
    case ConversionStatus::kFailure: return "failure";
  }
  return "failure";
}

Result<ConversionResult> convert_pdf(std::string bytes, const ConvertOptions& options,
                                     const LayoutAnalyzer* analyzer) {
  Clock::time_point start = Clock::now();
  if (bytes.empty()) return invalid_argument("the document is empty");
  if (bytes.size() > options.max_file_bytes) {
    return invalid_argument("the document has " + std::to_string(bytes.size()) +
                            " bytes, over the limit of " + std::to_string(options.max_file_bytes));
  }
  ConversionResult result;
  DoclingDocument& doc = result.document;
  size_t slash = options.filename.find_last_of('/');
  doc.filename = slash == std::string::npos ? options.filename : options.filename.substr(slash + 1);
  doc.name = file_stem(doc.filename);
  doc.binary_hash = docling_binary_hash(bytes);

  FB_ASSIGN_OR_RETURN(std::unique_ptr<PdfReader> reader, PdfReader::open(std::move(bytes)));
  int first = std::max(1, options.first_page);
  int last = std::min(reader->page_count(), options.last_page);
  if (first > last) {
    return invalid_argument("page range " + std::to_string(options.first_page) + "-" +
                            (options.last_page == INT_MAX ? std::string() : std::to_string(options.last_page)) +
                            " selects no page of " + std::to_string(reader->page_count()));
  }
  if (last - first + 1 > options.max_pages) {
    return invalid_argument("the document has " + std::to_string(last - first + 1) +
                            " pages to convert, over the limit of " + std::to_string(options.max_pages));
  }
  Clock::time_point document_deadline = start + options.document_time_limit;
  std::unique_ptr<OcrEngine> ocr;
  std::vector<PageContent> pages;
  for (int page_no = first; page_no <= last; ++page_no) {
    Clock::time_point deadline = std::min(Clock::now() + options.page_time_limit, document_deadline);
    if (Clock::now() > document_deadline) {
      result.errors.push_back({page_no, "document time limit reached before this page"});
      continue;
    }
    Result<PageContent> page = reader->read_page(page_no, deadline);
    if (!page.is_ok()) {
      result.errors.push_back({page_no, page.status().message()});
      continue;
    }
    if (needs_ocr(*page, options.ocr)) {
      if (!ocr) {
        auto engine = OcrEngine::create(options.ocr_languages);
        if (!engine.is_ok()) return engine.status();
        ocr = std::move(*engine);
      }
      auto image = reader->render_page(page_no, kOcrScale, deadline);
      auto words = image.is_ok() ? ocr->recognize(*image) : Result<std::vector<TextCell>>(image.status());
      if (!words.is_ok()) {
        result.errors.push_back({page_no, "OCR failed: " + words.status().message()});
        continue;
      }
      page->cells = std::move(*words);
      // The scan itself is the page, not a picture on it.
      std::erase_if(page->images, [&](const BBox& b) { return b.area() > 0.5 * page->width * page->height; });
      ++result.pages_ocr;
    } else if (options.ocr == OcrMode::kAuto) {
      std::vector<BBox> regions = text_free_images(*page);
      if (!regions.empty()) {
        if (!ocr) {
          auto engine = OcrEngine::create(options.ocr_languages);
          if (!engine.is_ok()) return engine.status();
          ocr = std::move(*engine);
        }
        auto image = reader->render_page(page_no, kOcrScale, deadline);
        for (size_t k = 0; image.is_ok() && k < regions.size(); ++k) {
          auto words = ocr->recognize(crop(*image, regions[k]), kRegionMinConfidence);
          if (!words.is_ok()) continue;  // the picture stays a picture without its text
          for (TextCell& cell : *words) {
            cell.bbox = {cell.bbox.l + regions[k].l, cell.bbox.t + regions[k].t,
                         cell.bbox.r + regions[k].l, cell.bbox.b + regions[k].t};
            cell.flow = 1000000 + static_cast<int>(k);  // apart from the page's own flows
            page->cells.push_back(std::move(cell));
          }
          ++result.regions_ocr;
        }
      }
    }
    doc.pages.push_back({page_no, page->width, page->height});
    pages.push_back(std::move(*page));
  }

  std::unique_ptr<LayoutAnalyzer> heuristic;
  if (analyzer == nullptr) {
    heuristic = make_heuristic_layout_analyzer();
    analyzer = heuristic.get();
  }
  AssemblyInput input;
  for (const PageContent& p : pages) input.pages.push_back(&p);
  input.stats = compute_document_stats(input.pages);
  std::vector<const PageContent*> analysed;
  for (const PageContent& p : pages) {
    Result<PageLayout> layout = analyzer->analyze(p, input.stats);
    if (!layout.is_ok()) {
      result.errors.push_back({p.page_no, "layout analysis failed: " + layout.status().message()});
      std::erase_if(doc.pages, [&](const PageInfo& info) { return info.page_no == p.page_no; });
      continue;
    }
    analysed.push_back(&p);
    input.layouts.push_back(std::move(*layout));
  }
  input.pages = analysed;
  result.pages_converted = static_cast<int>(analysed.size());
  assemble_document(std::move(input), &doc);
  std::sort(result.errors.begin(), result.errors.end(),
            [](const PageError& a, const PageError& b) { return a.page_no < b.page_no; });
  result.status = result.errors.empty()        ? ConversionStatus::kSuccess
                  : result.pages_converted > 0 ? ConversionStatus::kPartialSuccess
                                               : ConversionStatus::kFailure;
  result.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  return result;
}

}  // namespace fourbrain::docling
