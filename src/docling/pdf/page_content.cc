#include "docling/pdf/page_content.h"

#include <algorithm>
#include <cmath>

namespace fourbrain::docling {

BBox BBox::united(const BBox& other) const {
  return {std::min(l, other.l), std::min(t, other.t), std::max(r, other.r), std::max(b, other.b)};
}

double BBox::overlap_area(const BBox& other) const {
  double w = std::min(r, other.r) - std::max(l, other.l);
  double h = std::min(b, other.b) - std::max(t, other.t);
  return (w > 0 && h > 0) ? w * h : 0.0;
}

double BBox::fraction_inside(const BBox& other) const {
  double a = area();
  return a > 0 ? overlap_area(other) / a : 0.0;
}

bool RuleLine::horizontal() const { return std::fabs(y1 - y0) < 1.0 && std::fabs(x1 - x0) >= 1.0; }
bool RuleLine::vertical() const { return std::fabs(x1 - x0) < 1.0 && std::fabs(y1 - y0) >= 1.0; }

}  // namespace fourbrain::docling
