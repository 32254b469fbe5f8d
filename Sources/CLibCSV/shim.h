#ifndef IMPORT_PREP_CLIBCSV_SHIM_H
#define IMPORT_PREP_CLIBCSV_SHIM_H

#include <csv.h>

/* libcsv keeps its parser states private to libcsv.c; state 0 (ROW_NOT_BEGUN) means
   "between records". This is the only place that knowledge lives. */
static inline int import_prep_csv_between_records(const struct csv_parser *p) {
    return p->pstate == 0;
}

/* Forget a partial record after an error. csv_fini cannot do it when CSV_STRICT_FINI
   rejects an unterminated quote, because it returns before resetting. */
static inline void import_prep_csv_reset(struct csv_parser *p) {
    p->pstate = 0;
    p->quoted = 0;
    p->spaces = 0;
    p->entry_pos = 0;
    p->status = 0;
}

#endif
