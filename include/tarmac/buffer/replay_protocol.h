#ifndef TARMAC_BUFFER_REPLAY_PROTOCOL_H_
#define TARMAC_BUFFER_REPLAY_PROTOCOL_H_

// What the tarmac_replay module and the replay client must agree on beyond the command syntax:
// the codes that start every error reply, and the formulas both sides compute for sampling.
// Header-only and free of dependencies, because the module links nothing but itself.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace tarmac::buffer {

// Every error reply of the module is "<CODE> <sentence for people>". The code is the first word
// and never changes; the sentence may. Clients switch on the code (ParseReplayErrorCode), never
// on the wording.
enum class ReplayErrorCode {
  kArgument,     // ERR: a malformed argument; nothing changed
  kNoTable,      // NOTABLE: the table does not exist
  kMismatch,     // MISMATCH: the table exists with other settings
  kEmpty,        // EMPTY: the table holds no item (or no priority mass) to sample
  kNoMatch,      // NOMATCH: a tag mixture component matches no item with mass
  kRateLimited,  // RATELIMITED <retry-after-ms>: the samples-per-insert limiter refused
  kSequence,     // SEQ <current>: a producer's insert arrived out of sequence
  kTooBig,       // TOOBIG: a table of that capacity cannot fit the server's memory
  kWrongType,    // WRONGTYPE: Redis's own, the key holds another type
  kUnknown,      // any other first word (e.g. Redis's own "unknown command")
};

struct ReplayErrorCodeName {
  ReplayErrorCode code;
  std::string_view word;
};

inline constexpr ReplayErrorCodeName kReplayErrorCodes[] = {
    {ReplayErrorCode::kArgument, "ERR"},        {ReplayErrorCode::kNoTable, "NOTABLE"},
    {ReplayErrorCode::kMismatch, "MISMATCH"},   {ReplayErrorCode::kEmpty, "EMPTY"},
    {ReplayErrorCode::kNoMatch, "NOMATCH"},     {ReplayErrorCode::kRateLimited, "RATELIMITED"},
    {ReplayErrorCode::kSequence, "SEQ"},        {ReplayErrorCode::kTooBig, "TOOBIG"},
    {ReplayErrorCode::kWrongType, "WRONGTYPE"},
};

// The word that starts an error reply of this code ("" for kUnknown).
constexpr std::string_view ReplayErrorWord(ReplayErrorCode code) {
  for (const ReplayErrorCodeName& c : kReplayErrorCodes) {
    if (c.code == code) return c.word;
  }
  return {};
}

// The code of an error reply's text; kUnknown when its first word is none of the module's.
constexpr ReplayErrorCode ParseReplayErrorCode(std::string_view reply) {
  const std::size_t space = reply.find(' ');
  const std::string_view word = reply.substr(0, space);
  for (const ReplayErrorCodeName& c : kReplayErrorCodes) {
    if (c.word == word) return c.code;
  }
  return ReplayErrorCode::kUnknown;
}

// Tag-mixture sampling. Component k (share s_k = weight_k / sum of weights, mask S_k, priority
// mass M_k of the items whose tags intersect S_k; mask 0 matches every item) draws an item in
// proportion to its mass m_i = p_i^alpha. So
//   P(i) = m_i * sum_k s_k [tags_i matches S_k] / M_k = m_i * MixtureFactor(tags_i).
// `share` and `mass` hold one entry per component; `mask(k)` returns component k's mask.
template <class MaskOf>
double MixtureFactor(std::uint64_t tags, std::size_t components, MaskOf mask, const double* share,
                     const double* mass) {
  double factor = 0.0;
  for (std::size_t k = 0; k < components; ++k) {
    const std::uint64_t m = mask(k);
    if (m == 0 || (tags & m) != 0) factor += share[k] / mass[k];
  }
  return factor;
}

// Importance weights (Schaul et al. 2016): w_i = (N P(i))^-beta / max_j w_j. The maximum is
// taken over the whole table from its smallest probability, min_mass * min_factor, where
// min_factor is 1/M without a mixture and min_k s_k / M_k with one; so no weight exceeds 1, and
// one shard and many give the same weights.
inline double MaxImportanceWeight(double table_size, double min_mass, double min_factor,
                                  double beta) {
  return std::pow(table_size * min_mass * min_factor, -beta);
}

inline double ImportanceWeight(double table_size, double probability, double beta,
                               double max_weight) {
  return beta == 0.0 ? 1.0 : std::pow(table_size * probability, -beta) / max_weight;
}

}  // namespace tarmac::buffer

#endif  // TARMAC_BUFFER_REPLAY_PROTOCOL_H_
