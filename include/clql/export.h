/* Symbol visibility for the clql public API.
 *
 * libclql is built with hidden visibility; only declarations marked CLQL_API
 * are exported. CLQL_BUILDING is defined while compiling the library itself. */
#ifndef CLQL_EXPORT_H
#define CLQL_EXPORT_H

#if defined(_WIN32) && defined(CLQL_SHARED)
#  ifdef CLQL_BUILDING
#    define CLQL_API __declspec(dllexport)
#  else
#    define CLQL_API __declspec(dllimport)
#  endif
#elif defined(__GNUC__) && __GNUC__ >= 4
#  define CLQL_API __attribute__((visibility("default")))
#else
#  define CLQL_API
#endif

#endif /* CLQL_EXPORT_H */
