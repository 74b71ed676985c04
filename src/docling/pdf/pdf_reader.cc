#include "docling/pdf/pdf_reader.h"

#include <GlobalParams.h>
#include <PDFDoc.h>
#include <SplashOutputDev.h>
#include <Stream.h>
#include <TextOutputDev.h>
#include <poppler-config.h>
#include <splash/SplashBitmap.h>

#include <algorithm>
#include <cmath>
#include <mutex>

namespace fourbrain::docling {
namespace {

using Clock = std::chrono::steady_clock;

// poppler keeps one set of global parameters and prints errors to stderr; set both once.
void init_poppler() {
  static std::once_flag once;
  std::call_once(once, [] {
    globalParams = std::make_unique<GlobalParams>();
    globalParams->setErrQuiet(true);
    setErrorCallback([](ErrorCategory, Goffset, const char*) {});
  });
}

bool past_deadline(void* data) { return Clock::now() > *static_cast<Clock::time_point*>(data); }

std::string strip_subset_prefix(const GooString* name) {
  if (name == nullptr) return {};
  std::string s = name->toStr();
  if (s.size() > 7 && s[6] == '+') s = s.substr(7);
  return s;
}

bool name_has(const std::string& name, std::initializer_list<const char*> parts) {
  std::string lower = name;
  std::transform(lower.begin(), lower.end(), lower.begin(), ::tolower);
  for (const char* p : parts) {
    if (lower.find(p) != std::string::npos) return true;
  }
  return false;
}

// A TextOutputDev that also records what the layout analysis needs besides text: ruling
// lines, filled rectangles and image placements, in the same device space (top-left).
class ContentOutputDev : public TextOutputDev {
 public:
  explicit ContentOutputDev(PageContent* page)
      : TextOutputDev(nullptr, nullptr, /*physLayout=*/false, /*fixedPitch=*/0,
                      /*rawOrder=*/false, /*discardDiag=*/false),
        page_(page) {}

  bool needNonText() override { return true; }

  void stroke(GfxState* state) override {
    TextOutputDev::stroke(state);
    add_path(state, /*filled=*/false);
  }
  void fill(GfxState* state) override {
    TextOutputDev::fill(state);
    add_path(state, /*filled=*/true);
  }
  void eoFill(GfxState* state) override {
    TextOutputDev::eoFill(state);
    add_path(state, /*filled=*/true);
  }

  void drawImageMask(GfxState* state, Object* ref, Stream* str, int width, int height,
                     bool invert, bool interpolate, bool inline_img) override {
    add_image(state);
    OutputDev::drawImageMask(state, ref, str, width, height, invert, interpolate, inline_img);
  }
  void drawImage(GfxState* state, Object* ref, Stream* str, int width, int height,
                 GfxImageColorMap* color_map, bool interpolate, const int* mask_colors,
                 bool inline_img) override {
    add_image(state);
    OutputDev::drawImage(state, ref, str, width, height, color_map, interpolate, mask_colors,
                         inline_img);
  }
  void drawMaskedImage(GfxState* state, Object* ref, Stream* str, int width, int height,
                       GfxImageColorMap* color_map, bool interpolate, Stream* mask_str,
                       int mask_width, int mask_height, bool mask_invert,
                       bool mask_interpolate) override {
    add_image(state);
    OutputDev::drawMaskedImage(state, ref, str, width, height, color_map, interpolate,
                               mask_str, mask_width, mask_height, mask_invert,
                               mask_interpolate);
  }
  void drawSoftMaskedImage(GfxState* state, Object* ref, Stream* str, int width, int height,
                           GfxImageColorMap* color_map, bool interpolate, Stream* mask_str,
                           int mask_width, int mask_height, GfxImageColorMap* mask_color_map,
                           bool mask_interpolate) override {
    add_image(state);
    OutputDev::drawSoftMaskedImage(state, ref, str, width, height, color_map, interpolate,
                                   mask_str, mask_width, mask_height, mask_color_map,
                                   mask_interpolate);
  }

 private:
  static constexpr size_t kMaxShapes = 200000;  // hostile pages: stop recording, not parsing

  void add_image(GfxState* state) {
    if (page_->images.size() >= kMaxShapes) return;
    double xs[4], ys[4];
    const double corners[4][2] = {{0, 0}, {1, 0}, {0, 1}, {1, 1}};
    for (int i = 0; i < 4; ++i) state->transform(corners[i][0], corners[i][1], &xs[i], &ys[i]);
    BBox box{*std::min_element(xs, xs + 4), *std::min_element(ys, ys + 4),
             *std::max_element(xs, xs + 4), *std::max_element(ys, ys + 4)};
    if (box.width() >= 2 && box.height() >= 2) page_->images.push_back(box);
  }

  void add_path(GfxState* state, bool filled) {
    const GfxPath* path = state->getPath();
    if (path == nullptr) return;
    for (int s = 0; s < path->getNumSubpaths(); ++s) {
      const GfxSubpath* sub = path->getSubpath(s);
      int n = sub->getNumPoints();
      if (n < 2) continue;
      std::vector<std::pair<double, double>> pts(n);
      bool curved = false;
      for (int i = 0; i < n; ++i) {
        state->transform(sub->getX(i), sub->getY(i), &pts[i].first, &pts[i].second);
        curved |= sub->getCurve(i);
      }
      if (curved) continue;
      if (filled) {
        add_filled(pts);
      } else {
        for (int i = 0; i + 1 < n; ++i) add_segment(pts[i], pts[i + 1]);
        if (sub->isClosed()) add_segment(pts[n - 1], pts[0]);
      }
    }
  }

  // A filled axis-aligned rectangle: thin ones are drawn rules, others boxes/shading.
  void add_filled(const std::vector<std::pair<double, double>>& pts) {
    if (pts.size() < 4 || pts.size() > 5) return;
    BBox box{pts[0].first, pts[0].second, pts[0].first, pts[0].second};
    for (const auto& [x, y] : pts) {
      box = box.united(BBox{x, y, x, y});
    }
    for (const auto& [x, y] : pts) {  // every corner on the box's edge: a rectangle
      bool on_x = std::fabs(x - box.l) < 0.5 || std::fabs(x - box.r) < 0.5;
      bool on_y = std::fabs(y - box.t) < 0.5 || std::fabs(y - box.b) < 0.5;
      if (!on_x || !on_y) return;
    }
    if (box.height() <= 2.5 && box.width() > 2.5) {
      double y = (box.t + box.b) / 2;
      add_segment({box.l, y}, {box.r, y});
    } else if (box.width() <= 2.5 && box.height() > 2.5) {
      double x = (box.l + box.r) / 2;
      add_segment({x, box.t}, {x, box.b});
    } else if (box.width() > 2.5 && page_->filled_rects.size() < kMaxShapes) {
      page_->filled_rects.push_back(box);
    }
  }

  void add_segment(std::pair<double, double> a, std::pair<double, double> b) {
    if (page_->lines.size() >= kMaxShapes) return;
    RuleLine line{a.first, a.second, b.first, b.second};
    if (line.horizontal()) {
      double y = (line.y0 + line.y1) / 2;
      page_->lines.push_back({std::min(a.first, b.first), y, std::max(a.first, b.first), y});
    } else if (line.vertical()) {
      double x = (line.x0 + line.x1) / 2;
      page_->lines.push_back({x, std::min(a.second, b.second), x, std::max(a.second, b.second)});
    }
  }

  PageContent* page_;
};

// Splits one poppler text line into cells where the gap between words is wide (table
// columns, tab stops), and appends them.
void add_line_cells(const TextLine* line, int flow, int block, int line_no,
                    std::vector<TextCell>* cells) {
  TextCell cell;
  double last_right = 0;
  auto flush = [&] {
    if (!cell.text.empty()) cells->push_back(std::move(cell));
    cell = TextCell{};
  };
  for (const TextWord* word = line->getWords(); word != nullptr; word = word->getNext()) {
    std::unique_ptr<GooString> text(word->getText());
    if (!text || text->getLength() == 0) continue;
    double x0, y0, x1, y1;
    word->getBBox(&x0, &y0, &x1, &y1);
    double size = word->getFontSize();
    if (!cell.text.empty() && x0 - last_right > std::max(1.6 * size, 8.0)) flush();
    if (cell.text.empty()) {
      const TextFontInfo* font = word->getFontInfo(0);
      cell.font_name = strip_subset_prefix(font ? font->getFontName() : nullptr);
      cell.font_size = size;
      cell.bold = (font && font->isBold()) || name_has(cell.font_name, {"bold", "black", "heavy"});
      cell.italic = (font && font->isItalic()) || name_has(cell.font_name, {"italic", "oblique"});
      cell.monospace = (font && font->isFixedWidth()) ||
                       name_has(cell.font_name, {"mono", "courier", "consol", "code"});
      cell.bbox = {x0, y0, x1, y1};
      cell.flow = flow;
      cell.block = block;
      cell.line = line_no;
    } else {
      cell.text += ' ';
      cell.bbox = cell.bbox.united({x0, y0, x1, y1});
    }
    cell.text += text->toStr();
    last_right = x1;
  }
  flush();
}

}  // namespace

struct PdfReader::Impl {
  std::string bytes;
  std::unique_ptr<PDFDoc> doc;
};

PdfReader::PdfReader(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
PdfReader::~PdfReader() = default;

Result<std::unique_ptr<PdfReader>> PdfReader::open(std::string bytes) {
  init_poppler();
  if (bytes.size() < 8 || bytes.compare(0, 5, "%PDF-") != 0) {
    // poppler also tolerates leading junk before the header, within its first 1 KB.
    if (bytes.find("%PDF-") == std::string::npos || bytes.find("%PDF-") > 1024) {
      return invalid_argument("not a PDF file (no %PDF- header)");
    }
  }
  auto impl = std::make_unique<Impl>();
  impl->bytes = std::move(bytes);
  auto* stream = new MemStream(impl->bytes.data(), 0, static_cast<Goffset>(impl->bytes.size()),
                               Object(objNull));
  impl->doc = std::make_unique<PDFDoc>(stream);
  if (!impl->doc->isOk()) {
    int code = impl->doc->getErrorCode();
    if (code == errEncrypted) {
      return invalid_argument("the PDF is encrypted and needs a password");
    }
    return invalid_argument("poppler cannot open the PDF (error code " + std::to_string(code) +
                            (code == errDamaged ? ": damaged file" : "") + ")");
  }
  if (impl->doc->getNumPages() <= 0) return invalid_argument("the PDF has no pages");
  return std::unique_ptr<PdfReader>(new PdfReader(std::move(impl)));
}

int PdfReader::page_count() const { return impl_->doc->getNumPages(); }

Result<PageContent> PdfReader::read_page(int page_no, Clock::time_point deadline) {
  if (page_no < 1 || page_no > page_count()) {
    return invalid_argument("page " + std::to_string(page_no) + " is out of range 1.." +
                            std::to_string(page_count()));
  }
  PDFDoc& doc = *impl_->doc;
  if (doc.getPage(page_no) == nullptr) return invalid_argument("page object is missing");
  PageContent page;
  page.page_no = page_no;
  page.rotation = ((doc.getPageRotate(page_no) % 360) + 360) % 360;
  double w = doc.getPageCropWidth(page_no), h = doc.getPageCropHeight(page_no);
  bool sideways = page.rotation == 90 || page.rotation == 270;
  page.width = sideways ? h : w;
  page.height = sideways ? w : h;
  if (!(page.width > 0) || !(page.height > 0) || page.width > 1e5 || page.height > 1e5) {
    return invalid_argument("page has an invalid size");
  }
  ContentOutputDev dev(&page);
  if (!dev.isOk()) return internal_error("poppler text output could not start");
  doc.displayPage(&dev, page_no, 72, 72, 0, /*useMediaBox=*/false, /*crop=*/true,
                  /*printing=*/false, past_deadline, &deadline);
  if (Clock::now() > deadline) return unavailable("page took longer than its time limit");
  int flow_no = 0;
  for (const TextFlow* flow = dev.getFlows(); flow != nullptr; flow = flow->getNext()) {
    int block_no = 0;
    for (const TextBlock* block = flow->getBlocks(); block != nullptr; block = block->getNext()) {
      int line_no = 0;
      for (const TextLine* line = block->getLines(); line != nullptr; line = line->getNext()) {
        add_line_cells(line, flow_no, block_no, line_no++, &page.cells);
      }
      ++block_no;
    }
    ++flow_no;
  }
  return page;
}

Result<PageImage> PdfReader::render_page(int page_no, double scale, Clock::time_point deadline) {
  if (page_no < 1 || page_no > page_count()) return invalid_argument("page out of range");
  if (!(scale > 0) || scale > 10) return invalid_argument("render scale must be in (0, 10]");
  SplashColor paper{255, 255, 255};
  SplashOutputDev dev(splashModeMono8, 4, false, paper);
  dev.startDoc(impl_->doc.get());
  impl_->doc->displayPage(&dev, page_no, 72 * scale, 72 * scale, 0, false, true, false,
                          past_deadline, &deadline);
  if (Clock::now() > deadline) return unavailable("rendering took longer than its time limit");
  SplashBitmap* bitmap = dev.getBitmap();
  if (bitmap == nullptr || bitmap->getWidth() <= 0) return internal_error("render failed");
  PageImage image;
  image.width = bitmap->getWidth();
  image.height = bitmap->getHeight();
  image.channels = 1;
  image.scale = scale;
  image.pixels.resize(static_cast<size_t>(image.width) * image.height);
  for (int y = 0; y < image.height; ++y) {
    const unsigned char* row = bitmap->getDataPtr() + static_cast<size_t>(y) * bitmap->getRowSize();
    std::copy(row, row + image.width, image.pixels.begin() + static_cast<size_t>(y) * image.width);
  }
  return image;
}

}  // namespace fourbrain::docling
