#include "server/http/docling_zip.h"

#include <set>

#include "server/http/zip_writer.h"

namespace fourbrain::server::http {
namespace {

std::string stem_of(const std::string& filename) {
  std::string base = filename.substr(filename.find_last_of("/\\") + 1);
  const size_t dot = base.rfind('.');
  if (dot != std::string::npos && dot > 0) base.resize(dot);
  return base.empty() ? "document" : base;
}

}  // namespace

bool answers_with_zip(const api::DocumentResponse& response) {
  return !response.chunked && (response.zip_target || response.documents.size() > 1);
}

Result<std::string> convert_response_zip(const api::DocumentResponse& response) {
  ZipWriter zip;
  std::set<std::string> stems;
  for (const api::ConvertedDocument& d : response.documents) {
    if (d.status != "success" && d.status != "partial_success") continue;
    const std::string base = stem_of(d.filename);
    std::string stem = base;
    for (int n = 2; !stems.insert(stem).second; ++n) stem = base + "_" + std::to_string(n);
    if (d.has_md) FB_RETURN_IF_ERROR(zip.add(stem + ".md", d.markdown));
    if (d.has_json) FB_RETURN_IF_ERROR(zip.add(stem + ".json", d.json));
    if (d.has_text) FB_RETURN_IF_ERROR(zip.add(stem + ".txt", d.text));
  }
  if (zip.entries() == 0) return internal_error("No documents were exported.");
  return zip.finish();
}

}  // namespace fourbrain::server::http
