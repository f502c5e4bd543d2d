/* cblosc: the C library's side of this package's interop tests and
 * benchmarks. Build: gcc -O2 -o cblosc cblosc.c -lblosc (Debian libblosc-dev).
 *
 *   cblosc version
 *   cblosc d IN OUT                  decode frame IN, write the bytes to OUT
 *   cblosc c CNAME CLEVEL SHUFFLE TYPESIZE BLOCKSIZE IN OUT
 *                                    encode IN into a frame in OUT
 *   cblosc bench MINSECONDS FRAME... decode each frame repeatedly, one thread,
 *                                    print "FRAME nbytes ns_per_decode MB/s"
 *   cblosc dlist LIST                each line "FRAME RAW": decode FRAME, compare
 *                                    with the bytes of RAW; print one line per
 *                                    mismatch or failure
 *   cblosc clist LIST                each line "CNAME CLEVEL SHUFFLE TYPESIZE
 *                                    BLOCKSIZE IN OUT": as "c"
 *
 * Every call uses one thread (blosc_decompress_ctx / blosc_compress_ctx with
 * numinternalthreads = 1). Exit status 1 on any failure.
 */
#include <blosc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static unsigned char *readfile(const char *path, size_t *n) {
  FILE *f = fopen(path, "rb");
  if (!f) { perror(path); exit(1); }
  fseek(f, 0, SEEK_END);
  long len = ftell(f);
  fseek(f, 0, SEEK_SET);
  unsigned char *b = malloc(len > 0 ? (size_t)len : 1);
  if (len > 0 && fread(b, 1, (size_t)len, f) != (size_t)len) { perror(path); exit(1); }
  fclose(f);
  *n = (size_t)len;
  return b;
}

static void writefile(const char *path, const void *b, size_t n) {
  FILE *f = fopen(path, "wb");
  if (!f) { perror(path); exit(1); }
  if (n > 0 && fwrite(b, 1, n, f) != n) { perror(path); exit(1); }
  fclose(f);
}

static int decode_cmp(const char *fpath, const char *rpath) {
  size_t n, rn, nbytes, cbytes, blocksize;
  unsigned char *frame = readfile(fpath, &n);
  unsigned char *raw = readfile(rpath, &rn);
  int ok = 0;
  if (n < BLOSC_MIN_HEADER_LENGTH) {
    printf("%s: short frame\n", fpath);
  } else {
    blosc_cbuffer_sizes(frame, &nbytes, &cbytes, &blocksize);
    if (cbytes != n || nbytes != rn) {
      printf("%s: header says nbytes %zu cbytes %zu; file %zu raw %zu\n", fpath, nbytes, cbytes, n, rn);
    } else {
      unsigned char *out = malloc(nbytes > 0 ? nbytes : 1);
      int r = blosc_decompress_ctx(frame, out, nbytes, 1);
      if (r < 0 || (size_t)r != nbytes) {
        printf("%s: blosc_decompress_ctx returned %d, want %zu\n", fpath, r, nbytes);
      } else if (nbytes > 0 && memcmp(out, raw, nbytes) != 0) {
        printf("%s: decoded bytes differ from %s\n", fpath, rpath);
      } else {
        ok = 1;
      }
      free(out);
    }
  }
  free(frame);
  free(raw);
  return ok;
}

static int encode_file(const char *cname, int clevel, int shuffle, int typesize,
                       int blocksize, const char *in_path, const char *out_path) {
  size_t n;
  unsigned char *in = readfile(in_path, &n);
  size_t cap = n + BLOSC_MAX_OVERHEAD;
  unsigned char *out = malloc(cap);
  int r = blosc_compress_ctx(clevel, shuffle, (size_t)typesize, n, in, out, cap,
                             cname, (size_t)blocksize, 1);
  if (r <= 0) {
    printf("blosc_compress_ctx(%s, %s) returned %d\n", cname, in_path, r);
  } else {
    writefile(out_path, out, (size_t)r);
  }
  free(in);
  free(out);
  return r > 0;
}

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static size_t decoded_size(const unsigned char *frame, size_t n, const char *name) {
  size_t nbytes, cbytes, blocksize;
  if (n < BLOSC_MIN_HEADER_LENGTH) { fprintf(stderr, "%s: short frame\n", name); exit(1); }
  blosc_cbuffer_sizes(frame, &nbytes, &cbytes, &blocksize);
  if (cbytes > n) { fprintf(stderr, "%s: truncated frame\n", name); exit(1); }
  return nbytes;
}

int main(int argc, char **argv) {
  if (argc >= 2 && strcmp(argv[1], "version") == 0) {
    printf("%s\n", blosc_get_version_string());
    printf("%s\n", blosc_list_compressors());
    return 0;
  }
  if (argc == 4 && strcmp(argv[1], "d") == 0) {
    size_t n;
    unsigned char *frame = readfile(argv[2], &n);
    size_t nbytes = decoded_size(frame, n, argv[2]);
    unsigned char *out = malloc(nbytes > 0 ? nbytes : 1);
    int r = blosc_decompress_ctx(frame, out, nbytes, 1);
    if (r < 0 || (size_t)r != nbytes) {
      fprintf(stderr, "%s: blosc_decompress_ctx returned %d, want %zu\n", argv[2], r, nbytes);
      return 1;
    }
    writefile(argv[3], out, nbytes);
    return 0;
  }
  if (argc == 9 && strcmp(argv[1], "c") == 0) {
    return encode_file(argv[2], atoi(argv[3]), atoi(argv[4]), atoi(argv[5]), atoi(argv[6]),
                       argv[7], argv[8]) ? 0 : 1;
  }
  if (argc == 3 && (strcmp(argv[1], "dlist") == 0 || strcmp(argv[1], "clist") == 0)) {
    FILE *f = fopen(argv[2], "r");
    if (!f) { perror(argv[2]); return 1; }
    char line[8192];
    int bad = 0;
    while (fgets(line, sizeof line, f)) {
      char a[4096], b[4096], cname[32];
      int clevel, shuffle, typesize, blocksize;
      if (argv[1][0] == 'd') {
        if (sscanf(line, "%4095s %4095s", a, b) != 2) continue;
        if (!decode_cmp(a, b)) bad++;
      } else {
        if (sscanf(line, "%31s %d %d %d %d %4095s %4095s", cname, &clevel, &shuffle,
                   &typesize, &blocksize, a, b) != 7) continue;
        if (!encode_file(cname, clevel, shuffle, typesize, blocksize, a, b)) bad++;
      }
    }
    fclose(f);
    return bad ? 1 : 0;
  }
  if (argc >= 4 && strcmp(argv[1], "bench") == 0) {
    double minsec = atof(argv[2]);
    for (int i = 3; i < argc; i++) {
      size_t n;
      unsigned char *frame = readfile(argv[i], &n);
      size_t nbytes = decoded_size(frame, n, argv[i]);
      unsigned char *out = malloc(nbytes > 0 ? nbytes : 1);
      long iters = 0;
      double t0 = now(), t;
      do {
        int r = blosc_decompress_ctx(frame, out, nbytes, 1);
        if (r < 0 || (size_t)r != nbytes) {
          fprintf(stderr, "%s: decode failed (%d)\n", argv[i], r);
          return 1;
        }
        iters++;
        t = now() - t0;
      } while (t < minsec);
      double ns = t * 1e9 / iters;
      printf("%s %zu %.0f %.1f\n", argv[i], nbytes, ns, nbytes / (t / iters) / 1e6);
      free(out);
      free(frame);
    }
    return 0;
  }
  fprintf(stderr, "usage: see the comment at the top of cblosc.c\n");
  return 2;
}
