/* The tool version, recorded in every MANIFEST. */
#ifndef PITH_COMMON_VERSION_H
#define PITH_COMMON_VERSION_H

#define PITH_VERSION "0.1.0"

#endif
