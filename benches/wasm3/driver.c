/*
 * wasm3 as a peer of the benchmarks: loads a module, calls one exported
 * function `fn(i32) -> i32` with the same argument a number of times, and
 * prints one JSON object with the result and the mean time per call.
 *
 *     driver MODULE.wasm FUNCTION ARG ITERATIONS
 *
 * Built by benches/wasm3.sh from the wasm3 sources carried by the wasm3-sys
 * crate. Imports of the module are left unlinked: the functions measured
 * never call them.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "wasm3.h"
#include "m3_env.h"

static double now_ns(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static void check(M3Result r, const char *what) {
    if (r) {
        fprintf(stderr, "wasm3: %s: %s\n", what, r);
        exit(1);
    }
}

int main(int argc, char **argv) {
    if (argc != 5) {
        fprintf(stderr, "usage: %s MODULE.wasm FUNCTION ARG ITERATIONS\n", argv[0]);
        return 2;
    }
    FILE *f = fopen(argv[1], "rb");
    if (!f) {
        perror(argv[1]);
        return 1;
    }
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *wasm = malloc((size_t)size);
    if (!wasm || fread(wasm, 1, (size_t)size, f) != (size_t)size) {
        fprintf(stderr, "cannot read %s\n", argv[1]);
        return 1;
    }
    fclose(f);
    long iterations = atol(argv[4]);

    IM3Environment env = m3_NewEnvironment();
    IM3Runtime runtime = m3_NewRuntime(env, 1024 * 1024, NULL);
    IM3Module module;
    check(m3_ParseModule(env, &module, wasm, (uint32_t)size), "parse");
    check(m3_LoadModule(runtime, module), "load");
    IM3Function func;
    check(m3_FindFunction(&func, runtime, argv[2]), "find function");
    const char *args[1] = {argv[3]};

    /* The first call compiles the function (wasm3 compiles lazily). */
    check(m3_CallWithArgs(func, 1, args), "first call");
    int32_t result = *(int32_t *)runtime->stack;

    double start = now_ns();
    for (long i = 0; i < iterations; i++) {
        check(m3_CallWithArgs(func, 1, args), "call");
    }
    double per_call = (now_ns() - start) / (double)(iterations > 0 ? iterations : 1);
    if (*(int32_t *)runtime->stack != result) {
        fprintf(stderr, "wasm3: results differ between calls\n");
        return 1;
    }
    printf("{\"runtime\": \"wasm3 %d.%d.%d\", \"function\": \"%s\", \"arg\": %s, "
           "\"result\": %d, \"iterations\": %ld, \"ns_per_call\": %.0f}\n",
           M3_VERSION_MAJOR, M3_VERSION_MINOR, M3_VERSION_REV, argv[2], argv[3],
           result, iterations, per_call);
    m3_FreeRuntime(runtime);
    m3_FreeEnvironment(env);
    free(wasm);
    return 0;
}
