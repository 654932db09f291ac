#include <iostream>

#include "app.h"

int main(int argc, char** argv) { return tarmac::cli::RunApp(argc, argv, std::cout, std::cerr); }
