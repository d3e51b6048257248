#include <cblas.h>

/* LAPACK (inside libopenblas): Cholesky factorisation and inverse of a symmetric positive definite matrix. */
void spotrf_(const char *uplo, const int *n, float *a, const int *lda, int *info);
void spotri_(const char *uplo, const int *n, float *a, const int *lda, int *info);
