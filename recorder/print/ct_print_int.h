/* ct_print_int.h - helpers shared by the ct_print source files; not part of the public API.
 */
#ifndef CT_PRINT_INT_H
#define CT_PRINT_INT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ct_print.h"

/* Deepest message nesting the generic walkers follow. The schema nests four deep
 * (Record > Event > Block > TcpDelegated); the cap only guards against a descriptor loop. */
#define CT_PRINT_MAX_DEPTH 16

/* `len` bytes as lowercase hex, no separators, no quotes. */
void ct_print_hex(FILE *out, const uint8_t *data, size_t len);

/* CT_ERR_IO when the stream has its error flag set, else CT_OK. */
ct_err ct_print_check(FILE *out);

/* Iterate over the present fields of a message in field-number order. Calls `fn` once per
 * present field with a pointer to its storage (for repeated fields: the array, with n). */
typedef int (*ct_print_field_fn)(void *ctx, const ProtobufCFieldDescriptor *fd,
                                 const void *member, size_t n);
int ct_print_each_field(const ProtobufCMessage *msg, ct_print_field_fn fn, void *ctx);

/* Bytes one element of a repeated field of type `t` takes in its array. */
size_t ct_print_elt_size(ProtobufCType t);

/* A non-message value in its JSON spelling (numbers, true/false, quoted enum names, quoted
 * strings, quoted hex for bytes). */
void ct_print_json_scalar(FILE *out, const ProtobufCFieldDescriptor *fd, const void *p);

/* A string from a trace for text output: control characters are shown as \xNN, so a
 * hostile or broken trace cannot drive the terminal. */
void ct_print_text_str(FILE *out, const char *s);

/* The name of an enum value in its .proto spelling, or NULL when not in the schema. */
const char *ct_print_enum_value_name(const ProtobufCEnumDescriptor *ed, int value);

#endif /* CT_PRINT_INT_H */
