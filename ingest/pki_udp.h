/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The keys of UDP mode (issue 14): derived from a package's password,
 * kept in the PKI directory, and the AES-256-GCM opening of a datagram.
 *
 * WHERE KEYS LIVE: a key is as good as the client certificate's private
 * key (whoever has it can speak for every agent of the server), so it
 * lives where those live: DATA_DIR/pki/udp-<server id>-<package id>.key,
 * mode 0600, never in the database, which the group kics-epp (operators)
 * may read. The file holds the 32 key bytes only.
 */
#ifndef KICS_PKI_UDP_H
#define KICS_PKI_UDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PKI_UDP_KEY_LEN		32
#define PKI_UDP_ITERATIONS	200000
#define PKI_UDP_SALT_PREFIX	"kics-epp-udp:"
#define PKI_UDP_PACKAGE_ID_LEN	36	/* a package id (UUID text) */

/* One key the receiver accepts. */
struct pki_udp_key {
	int64_t		server_id;
	uint32_t	package_id;	/* as in the datagram header */
	uint8_t		key[PKI_UDP_KEY_LEN];
};

/*
 * The number a package is known by in datagrams: its first 8 hex digits
 * (package ids are random UUIDs). Returns 0 and the number (0 is never
 * used on the wire: the caller makes a new package id), or -EINVAL when
 * package_id does not start with 8 hex digits.
 */
int pki_udp_package_number(const char *package_id, uint32_t *ret_number);

/*
 * Derives the key of package number from the package's password (len
 * bytes): PBKDF2-HMAC-SHA256, salt "kics-epp-udp:<number in decimal>",
 * 200,000 iterations. Returns 0 or -EIO.
 */
int pki_udp_key_derive(const void *password, size_t len, uint32_t number,
    uint8_t ret_key[PKI_UDP_KEY_LEN]);

/*
 * Writes the key of package package_id of server_id to dir (the PKI
 * directory), mode 0600. Returns 0 or a negative errno.
 */
int pki_udp_key_write(const char *dir, int64_t server_id,
    const char *package_id, const uint8_t key[PKI_UDP_KEY_LEN]);

/*
 * Removes the keys of server_id in dir except those of packages keep[0..n)
 * (NULL or "" entries keep nothing); server_id 0 and no keep: every key of
 * every server. Returns how many were removed, or a negative errno.
 */
int pki_udp_keys_prune(const char *dir, int64_t server_id,
    const char *const *keep, size_t n_keep);

/*
 * Reads every key in dir. Returns 0 and an array the caller frees with
 * pki_udp_keys_free(), or a negative errno. Files that are not keys of
 * the right size, or readable by others, are skipped (logged).
 */
int pki_udp_keys_load(const char *dir, struct pki_udp_key **ret_keys,
    size_t *ret_n);

/* Wipes and frees keys. NULL-safe. */
void pki_udp_keys_free(struct pki_udp_key *keys, size_t n);

/*
 * Opens an encrypted body (nonce, ciphertext, tag: len bytes) with key
 * and aad (the datagram's header) into out, which has room for len bytes.
 * Returns 0 and the plaintext's length, or -EBADMSG when it does not
 * authenticate (or is shorter than nonce and tag).
 */
int pki_udp_open(const uint8_t key[PKI_UDP_KEY_LEN], const uint8_t *aad,
    size_t aad_len, const uint8_t *body, size_t len, uint8_t *out,
    size_t *ret_len);

#endif
