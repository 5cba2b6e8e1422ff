#ifndef BERTIN_CHDF5_SHIM_H
#define BERTIN_CHDF5_SHIM_H
#include <hdf5.h>
// HDF5's type and flag constants are macros that call H5open(): wrap them so Swift can call them.
static inline hid_t chdf5_native_float(void) { return H5T_NATIVE_FLOAT; }
static inline hid_t chdf5_native_int64(void) { return H5T_NATIVE_INT64; }
static inline hid_t chdf5_native_uint8(void) { return H5T_NATIVE_UINT8; }
static inline hid_t chdf5_c_string(void) { return H5T_C_S1; }
static inline hid_t chdf5_plist_dataset_create(void) { return H5P_DATASET_CREATE; }
static inline hid_t chdf5_plist_file_access(void) { return H5P_FILE_ACCESS; }
static inline hid_t chdf5_default(void) { return H5P_DEFAULT; }
static inline hid_t chdf5_scalar_space(void) { return H5Screate(H5S_SCALAR); }
static inline unsigned chdf5_acc_trunc(void) { return H5F_ACC_TRUNC; }
static inline unsigned chdf5_acc_rdonly(void) { return H5F_ACC_RDONLY; }
static inline unsigned chdf5_acc_rdwr(void) { return H5F_ACC_RDWR; }
static inline hid_t chdf5_std_i64le(void) { return H5T_STD_I64LE; }
static inline hid_t chdf5_ieee_f32le(void) { return H5T_IEEE_F32LE; }
static inline hid_t chdf5_space_all(void) { return H5S_ALL; }
static inline hid_t chdf5_error_default(void) { return H5E_DEFAULT; }
static inline hid_t chdf5_plist_link_create(void) { return H5P_LINK_CREATE; }
// Silences HDF5's own error-stack printing: callers turn failures into errors naming the file.
// The first call also turns off HDF5's close-everything-at-exit handler (H5dont_atexit must come
// before the library initialises): a file whose write failed on a full disk cannot be flushed, and
// HDF5's exit handler then crashed (signal 11) or looped trying. Every file we write is closed
// explicitly on success; a failed one is a discarded temporary.
static inline void chdf5_silence_errors(void) {
    static int first = 1;
    if (first) { first = 0; H5dont_atexit(); }
    H5open();
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}
#endif
