// Server::infer for a `backend: "docling"` model: each BYTES element of input "document" is
// a PDF file; the batch converts as one job on the document service, and each item's
// DoclingDocument JSON and Markdown come back as BYTES outputs "json" and "markdown".
#include "api/bytes_tensor.h"
#include "api/server.h"
#include "runtime/model_repository.h"

namespace fourbrain::api {

Result<int64_t> parse_model_version(const std::string& version);  // server.cc

namespace {

Result<DocumentRequest> document_request(const runtime::ServingModel& serving,
                                         const InferRequest& request, bool* want_json,
                                         bool* want_md) {
  const std::string& model = serving.name;
  if (request.inputs.size() != 1 || request.inputs[0].name != "document") {
    return invalid_argument("model '" + model + "' expects exactly one input, 'document'");
  }
  const InputTensor& in = request.inputs[0];
  if (in.datatype != "BYTES") {
    return invalid_argument("inference input 'document' data-type is '" + in.datatype +
                            "', but model '" + model + "' expects 'BYTES'");
  }
  if (in.shape.size() != 2 || in.shape[0] < 1 || in.shape[1] != 1) {
    return invalid_argument("unexpected shape for input 'document' for model '" + model +
                            "'. Expected [-1,1]");
  }
  if (in.shape[0] > serving.config.max_batch_size()) {
    return invalid_argument("inference request batch-size must be <= " +
                            std::to_string(serving.config.max_batch_size()) + " for '" + model +
                            "'");
  }
  *want_json = request.requested_outputs.empty();
  *want_md = request.requested_outputs.empty();
  for (const std::string& name : request.requested_outputs) {
    if (name == "json") {
      *want_json = true;
    } else if (name == "markdown") {
      *want_md = true;
    } else {
      return invalid_argument("unexpected inference output '" + name + "' for model '" + model +
                              "'");
    }
  }
  FB_ASSIGN_OR_RETURN(auto elements,
                      split_bytes_elements(in.data, static_cast<size_t>(in.shape[0])));
  DocumentRequest doc;
  doc.options.to_json = *want_json;
  doc.options.to_md = *want_md;
  doc.options.do_ocr = serving.setup.ocr != "off";
  doc.options.force_ocr = serving.setup.ocr == "force";
  doc.options.ocr_lang = serving.setup.ocr_lang;
  for (size_t k = 0; k < elements.size(); ++k) {
    DocumentSource& source = doc.sources.emplace_back();
    source.filename = "document_" + std::to_string(k) + ".pdf";
    source.bytes.assign(elements[k]);  // the request's buffer is gone once infer() returns
  }
  return doc;
}

OutputTensor bytes_output(const std::string& name, const std::vector<std::string>& items) {
  OutputTensor out;
  out.name = name;
  out.datatype = "BYTES";
  out.shape = {static_cast<int64_t>(items.size()), 1};
  for (const std::string& item : items) append_bytes_element(out.data, item);
  return out;
}

}  // namespace

std::shared_ptr<runtime::ServingModel> Server::find_document_model(
    const InferRequest& request) const {
  auto version = parse_model_version(request.model_version);
  if (!version.is_ok()) return nullptr;
  auto serving = repository_->find(request.model_name, version.value());
  if (!serving.is_ok() || !serving.value()->setup.document_converter) return nullptr;
  return std::move(serving).value();
}

void Server::infer_document(std::shared_ptr<runtime::ServingModel> serving,
                            const InferRequest& request, InferCallback finish) {
  bool want_json = false, want_md = false;
  auto doc = document_request(*serving, request, &want_json, &want_md);
  if (!doc.is_ok()) return finish(doc.status());
  documents_->run(std::move(doc).value(), [serving, id = request.id, want_json, want_md,
                                           finish](Result<DocumentResponse> result) {
    if (!result.is_ok()) return finish(result.status());
    InferResponse response;
    response.model_name = serving->name;
    response.model_version = std::to_string(serving->version);
    response.id = id;
    std::vector<std::string> json, markdown;
    for (ConvertedDocument& d : result.value().documents) {
      json.push_back(std::move(d.json));
      markdown.push_back(std::move(d.markdown));
    }
    if (want_json) response.outputs.push_back(bytes_output("json", json));
    if (want_md) response.outputs.push_back(bytes_output("markdown", markdown));
    finish(std::move(response));
  });
}

}  // namespace fourbrain::api
