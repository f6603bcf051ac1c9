#include "module.h"

#include <elf.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <map>
#include <regex>

namespace ttlsim {

namespace {

// ---- PTX ------------------------------------------------------------------------------------------

bool read_ptx(const char* text, Image& image, std::string& error)
{
    const std::string ptx(text);
    std::smatch m;
    if (!std::regex_search(ptx, m, std::regex(R"(\.target\s+(?:sm|compute)_(\d+))")))
    {
        error = "PTX without a .target directive";
        return false;
    }
    image.arch = image.virtual_arch = std::stoi(m[1]);
    // `.entry NAME ( params ) [.maxntid x[, y[, z]]] ... {`
    static const std::regex entry(R"(\.entry\s+(\w+)\s*\(([^)]*)\)([^{]*)\{)");
    static const std::regex param(
        R"(\.param\s+(?:\.align\s+(\d+)\s+)?\.([usbf])(8|16|32|64)\s+(?:\.ptr\s+(?:\.(?:global|const|shared|local)\s+)?(?:\.align\s+\d+\s+)?)?\w+(?:\[(\d+)\])?)");
    static const std::regex maxntid(R"(\.maxntid\s+(\d+)(?:\s*,\s*(\d+))?(?:\s*,\s*(\d+))?)");
    for (auto it = std::sregex_iterator(ptx.begin(), ptx.end(), entry); it != std::sregex_iterator(); ++it)
    {
        ImageEntry e;
        e.name = (*it)[1];
        const std::string params = (*it)[2], directives = (*it)[3];
        for (auto p = std::sregex_iterator(params.begin(), params.end(), param); p != std::sregex_iterator(); ++p)
        {
            const size_t scalar = std::stoul((*p)[3]) / 8;
            const size_t count = (*p)[4].matched ? std::stoul((*p)[4]) : 1;
            const size_t align = (*p)[1].matched ? std::stoul((*p)[1]) : scalar;
            e.params.push_back(ImageParam{scalar * count, align, SIZE_MAX});
        }
        std::smatch n;
        if (std::regex_search(directives, n, maxntid))
        {
            int t = std::stoi(n[1]);
            if (n[2].matched) t *= std::stoi(n[2]);
            if (n[3].matched) t *= std::stoi(n[3]);
            e.max_threads = t;
        }
        image.entries.push_back(std::move(e));
    }
    if (image.entries.empty())
    {
        error = "PTX without any .entry";
        return false;
    }
    return true;
}

// ---- cubin ----------------------------------------------------------------------------------------

// Attribute records of the .nv.info sections (a 4-byte header: format, attribute, then either a
// 16-bit value or the byte size of the data that follows).
constexpr uint8_t kFormatSizedValue = 0x04;
constexpr uint8_t kAttrMaxThreads = 0x05;     // u32 x, y, z
constexpr uint8_t kAttrFrameSize = 0x11;      // u32 function symbol, u32 bytes of local memory per thread
constexpr uint8_t kAttrKparamInfo = 0x17;     // u32 index, u16 ordinal, u16 offset, u32 flags (size in bits 18..31)
constexpr uint8_t kAttrRegCount = 0x2f;       // u32 function symbol, u32 registers

struct Record
{
    uint8_t format, attribute;
    const unsigned char* data;
    uint16_t size;   // or the value, for formats without data
};

std::vector<Record> records(const unsigned char* p, size_t n)
{
    std::vector<Record> out;
    size_t at = 0;
    while (at + 4 <= n)
    {
        Record r{p[at], p[at + 1], nullptr, 0};
        memcpy(&r.size, p + at + 2, 2);
        at += 4;
        if (r.format == kFormatSizedValue)
        {
            if (at + r.size > n) break;
            r.data = p + at;
            at += r.size;
        }
        out.push_back(r);
    }
    return out;
}

uint32_t u32(const unsigned char* p, size_t k)
{
    uint32_t v;
    memcpy(&v, p + 4 * k, 4);
    return v;
}

bool read_cubin(const unsigned char* d, Image& image, std::string& error)
{
    Elf64_Ehdr eh;
    memcpy(&eh, d, sizeof eh);
    if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_machine != 190 /* EM_CUDA */)
    {
        error = "an ELF image that is not a 64-bit CUDA cubin";
        return false;
    }
    if (eh.e_ident[EI_ABIVERSION] != 7)
    {
        error = "a cubin of ELF ABI version " + std::to_string(eh.e_ident[EI_ABIVERSION]) + "; the simulator reads version 7 (NVRTC 11 and 12)";
        return false;
    }
    image.cubin = true;
    image.arch = (int)(eh.e_flags & 0xff);
    image.virtual_arch = (int)((eh.e_flags >> 16) & 0xff);
    std::vector<Elf64_Shdr> sections(eh.e_shnum);
    for (size_t i = 0; i < sections.size(); i++) memcpy(&sections[i], d + eh.e_shoff + i * eh.e_shentsize, sizeof(Elf64_Shdr));
    auto name = [&](const Elf64_Shdr& s) { return std::string(reinterpret_cast<const char*>(d + sections[eh.e_shstrndx].sh_offset + s.sh_name)); };
    std::map<std::string, const Elf64_Shdr*> by_name;
    const Elf64_Shdr* symtab = nullptr;
    for (const auto& s : sections)
    {
        by_name[name(s)] = &s;
        if (s.sh_type == SHT_SYMTAB) symtab = &s;
    }
    if (!symtab)
    {
        error = "a cubin without a symbol table";
        return false;
    }
    const char* strtab = reinterpret_cast<const char*>(d + sections[symtab->sh_link].sh_offset);
    const size_t nsym = symtab->sh_size / sizeof(Elf64_Sym);
    std::map<uint32_t, size_t> entry_of_symbol;
    for (size_t i = 0; i < nsym; i++)
    {
        Elf64_Sym s;
        memcpy(&s, d + symtab->sh_offset + i * sizeof s, sizeof s);
        // Kernel entries are global functions marked STO_CUDA_ENTRY (0x10) in st_other.
        if (ELF64_ST_TYPE(s.st_info) != STT_FUNC || !(s.st_other & 0x10)) continue;
        ImageEntry e;
        e.name = strtab + s.st_name;
        e.shared_bytes = by_name.count(".nv.shared." + e.name) ? (int)by_name[".nv.shared." + e.name]->sh_size : 0;
        e.const_bytes = by_name.count(".nv.constant3") ? (int)by_name[".nv.constant3"]->sh_size : 0;
        if (auto it = by_name.find(".nv.info." + e.name); it != by_name.end())
        {
            std::map<uint16_t, ImageParam> params;
            for (const Record& r : records(d + it->second->sh_offset, it->second->sh_size))
            {
                if (r.attribute == kAttrKparamInfo && r.data && r.size >= 12)
                {
                    const uint32_t at = u32(r.data, 1), flags = u32(r.data, 2);
                    params[(uint16_t)(at & 0xffff)] = ImageParam{flags >> 18, 0, at >> 16};
                }
                else if (r.attribute == kAttrMaxThreads && r.data && r.size >= 12)
                    e.max_threads = (int)(u32(r.data, 0) * u32(r.data, 1) * u32(r.data, 2));
            }
            for (const auto& [ordinal, p] : params) e.params.push_back(p);
        }
        entry_of_symbol[(uint32_t)i] = image.entries.size();
        image.entries.push_back(std::move(e));
    }
    if (auto it = by_name.find(".nv.info"); it != by_name.end())
        for (const Record& r : records(d + it->second->sh_offset, it->second->sh_size))
        {
            if (!r.data || r.size < 8) continue;
            auto e = entry_of_symbol.find(u32(r.data, 0));
            if (e == entry_of_symbol.end()) continue;
            if (r.attribute == kAttrRegCount) image.entries[e->second].registers = (int)u32(r.data, 1);
            else if (r.attribute == kAttrFrameSize) image.entries[e->second].local_bytes = (int)u32(r.data, 1);
        }
    if (image.entries.empty())
    {
        error = "a cubin without kernel entries";
        return false;
    }
    return true;
}

}  // namespace

bool read_image(const void* data, Image& image, std::string& error)
{
    if (!data)
    {
        error = "no image";
        return false;
    }
    const auto* d = static_cast<const unsigned char*>(data);
    if (d[0] == 0x7f && d[1] == 'E' && d[2] == 'L' && d[3] == 'F') return read_cubin(d, image, error);
    uint32_t magic;
    memcpy(&magic, d, 4);
    if (magic == 0xba55ed50u)
    {
        error = "a fatbinary; the simulator loads PTX or a cubin";
        return false;
    }
    return read_ptx(static_cast<const char*>(data), image, error);
}

}  // namespace ttlsim
