#include "CCurlShim.h"

CURLcode tower_curl_setopt_long(CURL *handle, CURLoption option, long value) {
    return curl_easy_setopt(handle, option, value);
}
CURLcode tower_curl_setopt_string(CURL *handle, CURLoption option, const char *value) {
    return curl_easy_setopt(handle, option, value);
}
CURLcode tower_curl_setopt_pointer(CURL *handle, CURLoption option, void *value) {
    return curl_easy_setopt(handle, option, value);
}
CURLcode tower_curl_setopt_slist(CURL *handle, CURLoption option, struct curl_slist *value) {
    return curl_easy_setopt(handle, option, value);
}
CURLcode tower_curl_setopt_write_function(CURL *handle, CURLoption option, tower_curl_write_callback value) {
    return curl_easy_setopt(handle, option, value);
}
CURLcode tower_curl_setopt_xferinfo_function(CURL *handle, CURLoption option, tower_curl_xferinfo_callback value) {
    return curl_easy_setopt(handle, option, value);
}
CURLcode tower_curl_getinfo_long(CURL *handle, CURLINFO info, long *value) {
    return curl_easy_getinfo(handle, info, value);
}
CURLcode tower_curl_getinfo_double(CURL *handle, CURLINFO info, double *value) {
    return curl_easy_getinfo(handle, info, value);
}
