#ifndef TARMAC_PYTHON_NUMPY_COLUMNS_H_
#define TARMAC_PYTHON_NUMPY_COLUMNS_H_

#include <pybind11/numpy.h>

#include <algorithm>
#include <vector>

namespace tarmac::python {

// A fresh 1-d numpy array of T holding `values` (converted element by element).
template <class T, class U>
pybind11::array_t<T> Column(const std::vector<U>& values) {
  pybind11::array_t<T> out(static_cast<pybind11::ssize_t>(values.size()));
  std::copy(values.begin(), values.end(), out.mutable_data());
  return out;
}

}  // namespace tarmac::python

#endif  // TARMAC_PYTHON_NUMPY_COLUMNS_H_
