// Reading the images cuModuleLoadData receives: PTX text or an sm_XX cubin (ELF), as NVRTC makes
// them. The simulator does not run their code (it runs the same kernels compiled for the host);
// it takes from them what a driver would: the entry points, each one's parameter layout (checked
// against the host-compiled kernel, so arguments are read the way the device would read them),
// its launch bound, and for a cubin what the real compiler decided (registers, local memory,
// static shared memory).
#pragma once

#include <stddef.h>

#include <string>
#include <vector>

namespace ttlsim {

struct ImageParam
{
    size_t size;
    size_t align;    // 0 when the image does not say (a cubin)
    size_t offset;   // SIZE_MAX when the image does not say (PTX)
};

struct ImageEntry
{
    std::string name;
    std::vector<ImageParam> params;
    int max_threads = 0;    // .maxntid / EIATTR_MAX_THREADS product; 0: not declared
    int registers = -1;     // -1: unknown (PTX, which a driver would compile at load)
    int local_bytes = -1;
    int shared_bytes = -1;
    int const_bytes = -1;
};

struct Image
{
    bool cubin = false;
    int arch = 0;          // sm_XX / compute_XX: the XX
    int virtual_arch = 0;  // the compute_XX the code was written for
    std::vector<ImageEntry> entries;
};

// False with `error` set when the image is neither, or malformed.
bool read_image(const void* data, Image& image, std::string& error);

}  // namespace ttlsim
