/* The floor for CSV: libcsv's bare parse, counting fields and rows (strict mode, one core). */
#include <csv.h>
#include <stdio.h>
#include <stdlib.h>

static size_t fields, rows;
static void on_field(void *s, size_t n, void *d) { (void)s; (void)n; (void)d; fields++; }
static void on_row(int c, void *d) { (void)c; (void)d; rows++; }

int main(int argc, char **argv) {
    if (argc != 2) { fprintf(stderr, "usage: csvcount FILE\n"); return 2; }
    FILE *f = fopen(argv[1], "rb");
    if (!f) { perror(argv[1]); return 3; }
    struct csv_parser p;
    csv_init(&p, CSV_STRICT);
    static char buf[1 << 20];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
        if (csv_parse(&p, buf, n, on_field, on_row, NULL) != n) { fprintf(stderr, "%s\n", csv_strerror(csv_error(&p))); return 1; }
    }
    csv_fini(&p, on_field, on_row, NULL);
    printf("%zu rows, %zu fields\n", rows, fields);
    return 0;
}
