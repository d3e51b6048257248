#define _GNU_SOURCE
#include "TowerBLASKernel.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

char *openblas_get_corename(void);

static const char *replaced_variable = "TOWER_BLAS_REPLACED_CORE";

/// True when the space-separated `flags` hold `flag` as a whole word.
static int has_flag(const char *flags, const char *flag) {
    size_t length = strlen(flag);
    for (const char *p = flags; (p = strstr(p, flag)) != NULL; p += length) {
        int starts = p == flags || p[-1] == ' ' || p[-1] == '\t';
        int ends = p[length] == '\0' || p[length] == ' ' || p[length] == '\t' || p[length] == '\n';
        if (starts && ends) return 1;
    }
    return 0;
}

int tower_blas_cpu_tier(const char *flags) {
    int avx = has_flag(flags, "avx");
    int avx2 = avx && has_flag(flags, "avx2") && has_flag(flags, "fma");
    int avx512 = avx2 && has_flag(flags, "avx512f") && has_flag(flags, "avx512bw") && has_flag(flags, "avx512vl")
        && has_flag(flags, "avx512dq") && has_flag(flags, "avx512cd");
    int bf16 = avx512 && has_flag(flags, "avx512_bf16");
    int fp16 = bf16 && has_flag(flags, "avx512_fp16") && has_flag(flags, "amx_bf16");
    return fp16 ? TOWER_BLAS_TIER_AVX512_FP16 : bf16 ? TOWER_BLAS_TIER_AVX512_BF16 : avx512 ? TOWER_BLAS_TIER_AVX512
        : avx2 ? TOWER_BLAS_TIER_AVX2 : avx ? TOWER_BLAS_TIER_AVX : TOWER_BLAS_TIER_SSE;
}

static const struct { const char *name; int tier; } cores[] = {
    // OpenBLAS 0.3.x DYNAMIC_ARCH x86-64 core names (driver/others/dynamic.c).
    {"Unknown", 0}, {"Katmai", 0}, {"Coppermine", 0}, {"Northwood", 0}, {"Prescott", 0}, {"Banias", 0},
    {"Atom", 0}, {"Core2", 0}, {"Penryn", 0}, {"Dunnington", 0}, {"Nehalem", 0}, {"Athlon", 0},
    {"Opteron", 0}, {"Opteron_SSE3", 0}, {"Barcelona", 0}, {"Nano", 0}, {"Generic", 0},
    {"Sandybridge", 1}, {"Bulldozer", 1}, {"Piledriver", 1}, {"Steamroller", 1}, {"Excavator", 1},
    {"Haswell", 2}, {"Zen", 2},
    {"SkylakeX", 3},
    {"Cooperlake", 4},
    {"SapphireRapids", 5},
};

int tower_blas_core_tier(const char *core) {
    for (size_t i = 0; i < sizeof cores / sizeof cores[0]; i++) {
        if (strcasecmp(core, cores[i].name) == 0) return cores[i].tier;
    }
    return -1;
}

const char *tower_blas_tier_core(int tier) {
    static const char *names[] = {"Prescott", "Sandybridge", "Haswell", "SkylakeX", "Cooperlake", "SapphireRapids"};
    return tier >= 0 && tier <= TOWER_BLAS_TIER_AVX512_FP16 ? names[tier] : NULL;
}

const char *tower_blas_better_core(const char *flags, const char *core) {
    int chosen = tower_blas_core_tier(core);
    int best = tower_blas_cpu_tier(flags);
    return chosen >= 0 && chosen < best ? tower_blas_tier_core(best) : NULL;
}

void tower_blas_read_cpu_flags(char *buffer, int size) {
    buffer[0] = '\0';
    FILE *file = fopen("/proc/cpuinfo", "r");
    if (file == NULL) return;
    char *line = NULL;
    size_t capacity = 0;
    while (getline(&line, &capacity, file) > 0) {
        if (strncmp(line, "flags", 5) == 0) {
            const char *colon = strchr(line, ':');
            if (colon != NULL) snprintf(buffer, (size_t)size, "%s", colon + 1);
            break;
        }
    }
    free(line);
    fclose(file);
}

int tower_blas_autotune_disabled(void) {
    const char *value = getenv("TOWER_BLAS_AUTOTUNE");
    if (value == NULL) return 0;
    return strcasecmp(value, "off") == 0 || strcmp(value, "0") == 0 || strcasecmp(value, "false") == 0
        || strcasecmp(value, "no") == 0;
}

const char *tower_blas_replaced_core(void) { return getenv(replaced_variable); }

int tower_blas_coretype_set(void) { return getenv("OPENBLAS_CORETYPE") != NULL; }

const char *tower_blas_current_core(void) { return openblas_get_corename(); }

#if defined(__linux__) && defined(__x86_64__)
/// Runs when the binary loads, after libopenblas chose its kernels and before `main`. glibc passes
/// `argc, argv, envp` to ELF constructors.
__attribute__((constructor)) static void tower_blas_select_kernel(int argc, char **argv, char **envp) {
    (void)argc;
    (void)envp;
    if (tower_blas_coretype_set() || tower_blas_replaced_core() != NULL || tower_blas_autotune_disabled()) return;
    char flags[4096];
    tower_blas_read_cpu_flags(flags, sizeof flags);
    const char *chosen = openblas_get_corename();
    const char *better = tower_blas_better_core(flags, chosen);
    if (better == NULL || argv == NULL) return;
    setenv(replaced_variable, chosen, 1);
    setenv("OPENBLAS_CORETYPE", better, 1);
    execv("/proc/self/exe", argv);
    // exec failed (no /proc): carry on with the kernel OpenBLAS chose.
    unsetenv("OPENBLAS_CORETYPE");
    unsetenv(replaced_variable);
}
#endif
