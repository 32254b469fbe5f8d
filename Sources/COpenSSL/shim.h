#ifndef IMPORT_PREP_COPENSSL_SHIM_H
#define IMPORT_PREP_COPENSSL_SHIM_H

/* SHA-256 of chunks, manifests and uploads: OpenSSL's libcrypto from Debian's libssl-dev, through
   its EVP digest interface (the one OpenSSL 3 keeps undeprecated). */
#include <openssl/evp.h>

#endif
