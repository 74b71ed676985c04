#include "docling/assemble/document_rules.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>
#include <set>

#include "docling/layout/text_rules.h"

namespace fourbrain::docling {
namespace {

constexpr double kBand = 0.11;  // top and bottom bands, fraction of the page height

bool is_text_label(Label l) {
  return l == Label::kText || l == Label::kSectionHeader || l == Label::kTitle ||
         l == Label::kFootnote || l == Label::kCaption || l == Label::kListItem;
}

std::string repetition_key(const LayoutCluster& c) {
  std::string key;
  for (const std::string& line : c.lines) {
    for (char ch : line) {
      if (std::isdigit(static_cast<unsigned char>(ch))) {
        if (key.empty() || key.back() != '#') key += '#';
      } else if (!std::isspace(static_cast<unsigned char>(ch))) {
        key += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      }
    }
  }
  return key;
}

int style_key(const LayoutCluster& c) {
  return static_cast<int>(std::lround(c.font_size * 2)) * 2 + (c.bold ? 1 : 0);
}

}  // namespace

void mark_furniture(const std::vector<const PageContent*>& pages, std::vector<PageLayout>* layouts) {
  // (band, key) -> pages it occurs on.
  std::map<std::pair<int, std::string>, std::set<int>> seen;
  auto band_of = [&](const LayoutCluster& c, const PageContent& page) {
    if (c.lines.size() > 2 || !is_text_label(c.label)) return 0;
    if (c.bbox.b <= kBand * page.height) return 1;
    if (c.bbox.t >= (1 - kBand) * page.height) return 2;
    return 0;
  };
  for (size_t p = 0; p < layouts->size(); ++p) {
    for (const LayoutCluster& c : (*layouts)[p].clusters) {
      int band = band_of(c, *pages[p]);
      if (band != 0) seen[{band, repetition_key(c)}].insert(pages[p]->page_no);
    }
  }
  for (size_t p = 0; p < layouts->size(); ++p) {
    for (LayoutCluster& c : (*layouts)[p].clusters) {
      int band = band_of(c, *pages[p]);
      if (band == 0) continue;
      bool repeated = seen[{band, repetition_key(c)}].size() >= 2;
      bool page_number = c.lines.size() == 1 && looks_like_page_number(c.lines[0]);
      if (repeated || page_number) c.label = band == 1 ? Label::kPageHeader : Label::kPageFooter;
    }
  }
}

void mark_title(const std::vector<const PageContent*>& pages, const DocumentStats& stats,
                std::vector<PageLayout>* layouts) {
  double max_heading = 0;
  for (const PageLayout& layout : *layouts) {
    for (const LayoutCluster& c : layout.clusters) {
      if (c.label == Label::kSectionHeader) max_heading = std::max(max_heading, c.font_size);
    }
  }
  for (size_t p = 0; p < layouts->size(); ++p) {
    LayoutCluster* best = nullptr;
    for (LayoutCluster& c : (*layouts)[p].clusters) {
      if (c.label != Label::kSectionHeader && c.label != Label::kText) continue;
      if (c.bbox.t > 0.5 * pages[p]->height || c.lines.size() > 3) continue;
      if (best == nullptr || c.font_size > best->font_size + 0.1) best = &c;
    }
    if (best == nullptr) continue;  // no text on this page: try the next
    bool larger = best->font_size >= stats.body_font_size + 3 && best->font_size >= max_heading - 0.1;
    bool unique = true;  // a second heading of the same size means it is a section level
    for (const LayoutCluster& c : (*layouts)[p].clusters) {
      if (&c != best && c.label == Label::kSectionHeader && std::fabs(c.font_size - best->font_size) < 0.3) {
        unique = false;
      }
    }
    if (larger && unique && heading_number_depth(best->lines[0]) == 0) {
      best->label = Label::kTitle;
    }
    return;
  }
}

void assign_heading_levels(std::vector<PageLayout>* layouts) {
  std::map<int, std::map<int, int>> depth_votes;  // style -> depth -> count
  std::set<int> styles;
  for (PageLayout& layout : *layouts) {
    for (LayoutCluster& c : layout.clusters) {
      if (c.label != Label::kSectionHeader) continue;
      if (c.heading_level > 0) {
        depth_votes[style_key(c)][c.heading_level]++;
      } else {
        styles.insert(style_key(c));
      }
    }
  }
  // Unnumbered styles, largest first, after the levels numbered headings already use.
  int max_numbered = 0;
  for (const auto& [style, votes] : depth_votes) {
    for (const auto& [depth, n] : votes) max_numbered = std::max(max_numbered, depth);
  }
  std::map<int, int> level_of_style;
  int next = 1;
  for (auto it = styles.rbegin(); it != styles.rend(); ++it) {
    auto votes = depth_votes.find(*it);
    if (votes != depth_votes.end()) {
      auto top = std::max_element(votes->second.begin(), votes->second.end(),
                                  [](const auto& a, const auto& b) { return a.second < b.second; });
      level_of_style[*it] = top->first;
    } else {
      level_of_style[*it] = max_numbered > 0 ? std::min(max_numbered + next++, 6) : std::min(next++, 6);
    }
  }
  for (PageLayout& layout : *layouts) {
    for (LayoutCluster& c : layout.clusters) {
      if (c.label != Label::kSectionHeader) continue;
      if (c.heading_level == 0) c.heading_level = level_of_style[style_key(c)];
      c.heading_level = std::clamp(c.heading_level, 1, 6);
    }
  }
}

}  // namespace fourbrain::docling
