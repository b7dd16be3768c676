#ifndef CZEROMQ_SHIM_H
#define CZEROMQ_SHIM_H
#include <zmq.h>

// ZMQ_ZAP_ENFORCE_DOMAIN sits behind the draft guard in Debian's header, but libzmq 4.3.4
// accepts it; without it CURVE fails open when no ZAP handler answers (see FIELD-NOTES).
#ifndef ZMQ_ZAP_ENFORCE_DOMAIN
#define ZMQ_ZAP_ENFORCE_DOMAIN 93
#endif

#endif
