/// Typed wrappers over libcurl's variadic curl_easy_setopt / curl_easy_getinfo,
/// which Swift cannot call directly (swift-corelibs-foundation does the same).
#ifndef TOWER_CCURL_SHIM_H
#define TOWER_CCURL_SHIM_H
#include <curl/curl.h>

typedef size_t (*tower_curl_write_callback)(char *ptr, size_t size, size_t nmemb, void *userdata);

CURLcode tower_curl_setopt_long(CURL *handle, CURLoption option, long value);
CURLcode tower_curl_setopt_string(CURL *handle, CURLoption option, const char *value);
CURLcode tower_curl_setopt_pointer(CURL *handle, CURLoption option, void *value);
CURLcode tower_curl_setopt_slist(CURL *handle, CURLoption option, struct curl_slist *value);
CURLcode tower_curl_setopt_write_function(CURL *handle, CURLoption option, tower_curl_write_callback value);
typedef int (*tower_curl_xferinfo_callback)(void *clientp, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow);
CURLcode tower_curl_setopt_xferinfo_function(CURL *handle, CURLoption option, tower_curl_xferinfo_callback value);
CURLcode tower_curl_getinfo_long(CURL *handle, CURLINFO info, long *value);
CURLcode tower_curl_getinfo_double(CURL *handle, CURLINFO info, double *value);

#endif
