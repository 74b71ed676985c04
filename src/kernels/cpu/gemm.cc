#include "kernels/cpu/gemm.h"

#include <omp.h>

#include <algorithm>
#include <sys/mman.h>

#include <cstdlib>
#include <list>
#include <map>
#include <mutex>
#include <new>
#include <oneapi/dnnl/dnnl.hpp>
#include <string>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "core/allocator.h"
#include "kernels/cpu/convert.h"

namespace fourbrain::kernels::cpu {
namespace {

using dnnl::memory;
using Tag = memory::format_tag;
using Dt = memory::data_type;

dnnl::engine& engine() {
  static dnnl::engine eng(dnnl::engine::kind::cpu, 0);
  return eng;
}

dnnl::stream& thread_stream() {
  thread_local dnnl::stream stream(engine());
  return stream;
}

Dt compute_type(GemmPrecision p) { return p == GemmPrecision::kBF16 ? Dt::bf16 : Dt::f32; }

// Asks for transparent huge pages on the 2 MiB-aligned interior of a large buffer: the GEMMs
// stream through tens of MiB and 4 KiB pages cost a TLB walk every 64 cache lines. A hint:
// failure (or THP being off) changes nothing but speed.
void advise_huge_pages(void* ptr, size_t bytes) {
  constexpr uintptr_t kHuge = uintptr_t{2} << 20;
  const uintptr_t begin = (reinterpret_cast<uintptr_t>(ptr) + kHuge - 1) & ~(kHuge - 1);
  const uintptr_t end = (reinterpret_cast<uintptr_t>(ptr) + bytes) & ~(kHuge - 1);
  if (end > begin) madvise(reinterpret_cast<void*>(begin), end - begin, MADV_HUGEPAGE);
}

// A 64-byte aligned buffer that only grows; one per thread and purpose.
class ScratchBuffer {
 public:
  ~ScratchBuffer() { std::free(data_); }
  void* get(size_t bytes) {
    bytes = bytes < 64 ? 64 : bytes;  // never hand oneDNN a null handle
    if (bytes > size_) {
      std::free(data_);
      size_ = (bytes + 63) / 64 * 64;
      data_ = std::aligned_alloc(64, size_);
      if (data_ == nullptr) {
        size_ = 0;
        throw std::bad_alloc();
      }
      advise_huge_pages(data_, size_);
    }
    return data_;
  }

 private:
  void* data_ = nullptr;
  size_t size_ = 0;
};

// Interns weight memory descriptors so cache keys can name a layout with an int.
int layout_id(const memory::desc& md) {
  static std::mutex mu;
  static std::vector<memory::desc> known;
  std::lock_guard<std::mutex> lock(mu);
  for (size_t i = 0; i < known.size(); ++i) {
    if (known[i] == md) return static_cast<int>(i);
  }
  known.push_back(md);
  return static_cast<int>(known.size()) - 1;
}

struct CachedMatmul {
  dnnl::matmul primitive;
  memory::desc src_md, dst_md, bias_md, scratch_md;
};

// (m, n, k, precision, weight layout id, has bias, threads) -> primitive, least recently used
// evicted.
class MatmulCache {
 public:
  using Key = std::tuple<int64_t, int64_t, int64_t, int, int, bool, int>;
  static constexpr size_t kCapacity = 1024;

  std::shared_ptr<const CachedMatmul> get(const Key& key, const memory::desc& weights_md) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = map_.find(key);
      if (it != map_.end()) {
        lru_.splice(lru_.begin(), lru_, it->second.second);
        return it->second.first;
      }
    }
    // Created outside the lock (JIT takes ~0.1-1 ms); a racing thread may build a twin.
    auto entry = create(key, weights_md);
    std::lock_guard<std::mutex> lock(mu_);
    auto it = map_.find(key);
    if (it != map_.end()) return it->second.first;
    lru_.push_front(key);
    map_.emplace(key, std::make_pair(entry, lru_.begin()));
    if (map_.size() > kCapacity) {
      map_.erase(lru_.back());
      lru_.pop_back();
    }
    return entry;
  }

 private:
  static std::shared_ptr<const CachedMatmul> create(const Key& key,
                                                    const memory::desc& weights_md) {
    const auto [m, n, k, precision, layout, has_bias, threads] = key;
    const Dt dt = compute_type(static_cast<GemmPrecision>(precision));
    auto entry = std::make_shared<CachedMatmul>();
    entry->src_md = memory::desc({m, k}, dt, Tag::ab);
    entry->dst_md = memory::desc({m, n}, Dt::f32, Tag::ab);
    dnnl::primitive_attr attr;
    attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
    const dnnl::matmul::desc desc =
        has_bias ? dnnl::matmul::desc(entry->src_md, weights_md,
                                      memory::desc({1, n}, Dt::f32, Tag::ab), entry->dst_md)
                 : dnnl::matmul::desc(entry->src_md, weights_md, entry->dst_md);
    dnnl::matmul::primitive_desc pd(desc, attr, engine());
    if (has_bias) entry->bias_md = pd.bias_desc();
    entry->scratch_md = pd.scratchpad_desc();
    entry->primitive = dnnl::matmul(pd);
    return entry;
  }

  std::mutex mu_;
  std::list<Key> lru_;
  std::map<Key, std::pair<std::shared_ptr<const CachedMatmul>, std::list<Key>::iterator>> map_;
};

MatmulCache& matmul_cache() {
  static MatmulCache cache;
  return cache;
}

// The weight layout oneDNN's matmul wants for (n, k); m hardly matters, 512 is typical.
memory::desc preferred_weights_md(int64_t n, int64_t k, Dt dt) {
  constexpr int64_t kTypicalM = 512;
  dnnl::matmul::primitive_desc pd(
      dnnl::matmul::desc(memory::desc({kTypicalM, k}, dt, Tag::ab),
                         memory::desc({k, n}, dt, Tag::any),
                         memory::desc({kTypicalM, n}, Dt::f32, Tag::ab)),
      engine());
  return pd.weights_desc();
}

}  // namespace

struct GemmWeight::Impl {
  int64_t n = 0, k = 0;
  GemmPrecision precision = GemmPrecision::kF32;
  memory::desc weights_md;
  int layout = 0;
  void* packed = nullptr;
  size_t bytes = 0;
  float* bias = nullptr;  // [n] f32, or null
  size_t bias_bytes = 0;

  ~Impl() {
    if (packed != nullptr) host_allocator().deallocate(packed, bytes);
    if (bias != nullptr) host_allocator().deallocate(bias, bias_bytes);
  }
};

GemmWeight::GemmWeight(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
GemmWeight::~GemmWeight() = default;
int64_t GemmWeight::n() const { return impl_->n; }
int64_t GemmWeight::k() const { return impl_->k; }
GemmPrecision GemmWeight::precision() const { return impl_->precision; }
size_t GemmWeight::nbytes() const { return impl_->bytes + impl_->bias_bytes; }
bool GemmWeight::has_bias() const { return impl_->bias != nullptr; }

Result<std::unique_ptr<GemmWeight>> GemmWeight::pack(const void* w, DType w_dtype, int64_t n,
                                                     int64_t k, GemmPrecision precision,
                                                     GemmWeightLayout layout, const float* bias) {
  if (n <= 0 || k <= 0) return invalid_argument("GemmWeight::pack: empty weight");
  if (w_dtype != DType::kF32 && w_dtype != DType::kBF16 && w_dtype != DType::kF16) {
    return invalid_argument("GemmWeight::pack: weight dtype " + std::string(dtype_name(w_dtype)));
  }
  auto impl = std::make_unique<Impl>();
  impl->n = n;
  impl->k = k;
  impl->precision = precision;
  try {
    const Dt dt = compute_type(precision);
    // 1) Convert to the compute type in plain [n, k] order (= [k, n] with tag ba).
    const size_t elem = precision == GemmPrecision::kBF16 ? 2 : 4;
    std::vector<uint8_t> plain(static_cast<size_t>(n * k) * elem);
    if (precision == GemmPrecision::kBF16) {
      convert_to_bf16_parallel(w, w_dtype, n * k, reinterpret_cast<uint16_t*>(plain.data()));
    } else {
      convert_to_f32_parallel(w, w_dtype, n * k, reinterpret_cast<float*>(plain.data()));
    }
    const memory::desc plain_md({k, n}, dt, Tag::ba);
    // 2) Reorder into the layout the matmul will read.
    impl->weights_md =
        layout == GemmWeightLayout::kBlocked ? preferred_weights_md(n, k, dt) : plain_md;
    impl->layout = layout_id(impl->weights_md);
    impl->bytes = impl->weights_md.get_size();
    FB_ASSIGN_OR_RETURN(impl->packed, host_allocator().allocate(impl->bytes));
    advise_huge_pages(impl->packed, impl->bytes);
    memory src(plain_md, engine(), plain.data());
    memory dst(impl->weights_md, engine(), impl->packed);
    dnnl::reorder(src, dst).execute(thread_stream(), src, dst);
    thread_stream().wait();
    if (bias != nullptr) {
      impl->bias_bytes = static_cast<size_t>(n) * sizeof(float);
      FB_ASSIGN_OR_RETURN(void* bias_copy, host_allocator().allocate(impl->bias_bytes));
      impl->bias = static_cast<float*>(bias_copy);
      std::copy_n(bias, n, impl->bias);
    }
  } catch (const dnnl::error& e) {
    return internal_error(std::string("GemmWeight::pack: oneDNN: ") + e.what());
  } catch (const std::bad_alloc&) {
    return resource_exhausted("GemmWeight::pack: out of memory");
  }
  return std::unique_ptr<GemmWeight>(new GemmWeight(std::move(impl)));
}

Status GemmWeight::multiply(const void* x, DType x_dtype, int64_t m, float* y) const {
  // Large M goes in fixed-size row blocks: oneDNN 2.6's AMX matmul is up to 3x slower for
  // some M (measured: M = 7874 at K = 1024), and one block size also means one cached
  // primitive for every batch instead of one per batch size.
  constexpr int64_t kRowBlock = 1024;
  const size_t x_row_bytes = dtype_bytes(x_dtype, static_cast<size_t>(impl_->k));
  for (int64_t begin = 0; begin < m; begin += kRowBlock) {
    const int64_t rows = std::min(kRowBlock, m - begin);
    FB_RETURN_IF_ERROR(multiply_rows(static_cast<const uint8_t*>(x) + begin * x_row_bytes,
                                     x_dtype, rows, y + begin * impl_->n));
  }
  return Status::ok();
}

Status GemmWeight::multiply_rows(const void* x, DType x_dtype, int64_t m, float* y) const {
  const Impl& w = *impl_;
  if (m == 0) return Status::ok();
  const bool bf16 = w.precision == GemmPrecision::kBF16;
  if (x_dtype != DType::kF32 && !(bf16 && x_dtype == DType::kBF16)) {
    return invalid_argument("GemmWeight::multiply: x dtype " + std::string(dtype_name(x_dtype)));
  }
  thread_local ScratchBuffer x_scratch;
  thread_local ScratchBuffer dnnl_scratch;
  try {
    const bool has_bias = w.bias != nullptr;
    const MatmulCache::Key key{
        m, w.n, w.k, static_cast<int>(w.precision), w.layout, has_bias, omp_get_max_threads()};
    const auto mm = matmul_cache().get(key, w.weights_md);
    void* src = const_cast<void*>(x);
    if (bf16 && x_dtype == DType::kF32) {
      auto* converted = static_cast<uint16_t*>(x_scratch.get(static_cast<size_t>(m * w.k) * 2));
      convert_to_bf16_parallel(x, DType::kF32, m * w.k, converted);
      src = converted;
    }
    memory src_mem(mm->src_md, engine(), src);
    memory wei_mem(w.weights_md, engine(), w.packed);
    memory dst_mem(mm->dst_md, engine(), y);
    memory scratch_mem(mm->scratch_md, engine(), dnnl_scratch.get(mm->scratch_md.get_size()));
    std::unordered_map<int, memory> args = {{DNNL_ARG_SRC, src_mem},
                                            {DNNL_ARG_WEIGHTS, wei_mem},
                                            {DNNL_ARG_DST, dst_mem},
                                            {DNNL_ARG_SCRATCHPAD, scratch_mem}};
    if (w.bias != nullptr) args.emplace(DNNL_ARG_BIAS, memory(mm->bias_md, engine(), w.bias));
    mm->primitive.execute(thread_stream(), args);
    thread_stream().wait();
  } catch (const dnnl::error& e) {
    return internal_error("GemmWeight::multiply: oneDNN: " + std::string(e.what()) + " (m " +
                          std::to_string(m) + ", n " + std::to_string(w.n) + ", k " +
                          std::to_string(w.k) + ")");
  } catch (const std::bad_alloc&) {
    return resource_exhausted("GemmWeight::multiply: out of memory");
  }
  return Status::ok();
}

}  // namespace fourbrain::kernels::cpu
