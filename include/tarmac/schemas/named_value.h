#ifndef TARMAC_SCHEMAS_NAMED_VALUE_H_
#define TARMAC_SCHEMAS_NAMED_VALUE_H_

#include <string>

namespace tarmac::schemas {

// A named scalar: a reward term, an episode metric.
struct NamedValue {
  std::string name;
  double value = 0.0;
};

}  // namespace tarmac::schemas

#endif  // TARMAC_SCHEMAS_NAMED_VALUE_H_
