// Host stand-ins for the two CMSIS-Core compiler helpers that CMSIS-NN's portable C code still uses
// (CMSIS-Core's cmsis_compiler.h defines them only for Arm targets). Same meaning as cmsis_gcc.h's:
// __CLZ(0) is 32, as the Cortex-M CLZ instruction gives. Forced into every TFLM unit of the host
// build (-include); the board build never sees this file.

#ifndef WAKEBENCH_HOST_CMSIS_HOST_H_
#define WAKEBENCH_HOST_CMSIS_HOST_H_

#include <stdint.h>

#ifndef __RESTRICT
#define __RESTRICT __restrict
#endif

static inline uint8_t __CLZ(uint32_t value) {
  return value == 0U ? 32U : (uint8_t)__builtin_clz(value);
}

#endif  // WAKEBENCH_HOST_CMSIS_HOST_H_
