namespace TTL.Torch.Native;

/// <summary>
/// The ATen operators the binding calls, by schema name and overload. Keeping them in one
/// catalogue shows at a glance which part of libtorch the toolkit depends on.
/// </summary>
internal static class Aten
{
    // creation
    public static readonly Op zeros = new("aten::zeros");
    public static readonly Op ones = new("aten::ones");
    public static readonly Op full = new("aten::full");
    public static readonly Op empty = new("aten::empty", "memory_format");
    public static readonly Op arange = new("aten::arange", "start_step");
    public static readonly Op linspace = new("aten::linspace");
    public static readonly Op rand = new("aten::rand");
    public static readonly Op randn = new("aten::randn");
    public static readonly Op randint = new("aten::randint", "low");
    public static readonly Op zeros_like = new("aten::zeros_like");
    public static readonly Op ones_like = new("aten::ones_like");
    public static readonly Op full_like = new("aten::full_like");
    public static readonly Op rand_like = new("aten::rand_like");
    public static readonly Op randn_like = new("aten::randn_like");
    public static readonly Op randperm = new("aten::randperm");
    public static readonly Op eye = new("aten::eye");

    // conversion and copies
    public static readonly Op to_dtype = new("aten::to", "dtype");
    public static readonly Op to_dtype_layout = new("aten::to", "dtype_layout");
    public static readonly Op clone = new("aten::clone");
    public static readonly Op detach = new("aten::detach");
    public static readonly Op contiguous = new("aten::contiguous");
    public static readonly Op copy_ = new("aten::copy_");
    public static readonly Op zero_ = new("aten::zero_");
    public static readonly Op fill_ = new("aten::fill_", "Scalar");
    public static readonly Op local_scalar_dense = new("aten::_local_scalar_dense");
    public static readonly Op set_data = new("aten::set_data");

    // shape
    public static readonly Op view = new("aten::view");
    public static readonly Op reshape = new("aten::reshape");
    public static readonly Op permute = new("aten::permute");
    public static readonly Op transpose = new("aten::transpose", "int");
    public static readonly Op squeeze = new("aten::squeeze");
    public static readonly Op squeeze_dim = new("aten::squeeze", "dim");
    public static readonly Op unsqueeze = new("aten::unsqueeze");
    public static readonly Op flatten = new("aten::flatten", "using_ints");
    public static readonly Op cat = new("aten::cat");
    public static readonly Op stack = new("aten::stack");
    public static readonly Op narrow = new("aten::narrow");
    public static readonly Op slice = new("aten::slice", "Tensor");
    public static readonly Op select = new("aten::select", "int");
    public static readonly Op index_select = new("aten::index_select");
    public static readonly Op index = new("aten::index", "Tensor");
    public static readonly Op index_put_ = new("aten::index_put_");
    public static readonly Op gather = new("aten::gather");
    public static readonly Op scatter_value = new("aten::scatter", "value");
    public static readonly Op masked_fill = new("aten::masked_fill", "Scalar");
    public static readonly Op masked_select = new("aten::masked_select");
    public static readonly Op flip = new("aten::flip");
    public static readonly Op expand = new("aten::expand");
    public static readonly Op repeat = new("aten::repeat");
    public static readonly Op constant_pad_nd = new("aten::constant_pad_nd");
    public static readonly Op reflection_pad3d = new("aten::reflection_pad3d");
    public static readonly Op replication_pad3d = new("aten::replication_pad3d");
    public static readonly Op split_with_sizes = new("aten::split_with_sizes");
    public static readonly Op chunk = new("aten::chunk");
    public static readonly Op unbind = new("aten::unbind", "int");

    // elementwise arithmetic
    public static readonly Op add = new("aten::add", "Tensor");
    public static readonly Op add_s = new("aten::add", "Scalar");
    public static readonly Op sub = new("aten::sub", "Tensor");
    public static readonly Op sub_s = new("aten::sub", "Scalar");
    public static readonly Op rsub_s = new("aten::rsub", "Scalar");
    public static readonly Op mul = new("aten::mul", "Tensor");
    public static readonly Op mul_s = new("aten::mul", "Scalar");
    public static readonly Op div = new("aten::div", "Tensor");
    public static readonly Op div_s = new("aten::div", "Scalar");
    public static readonly Op div_mode = new("aten::div", "Tensor_mode");
    public static readonly Op remainder_s = new("aten::remainder", "Scalar");
    public static readonly Op pow_tt = new("aten::pow", "Tensor_Tensor");
    public static readonly Op pow_ts = new("aten::pow", "Tensor_Scalar");
    public static readonly Op pow_st = new("aten::pow", "Scalar");
    public static readonly Op add_ = new("aten::add_", "Tensor");
    public static readonly Op add_s_ = new("aten::add_", "Scalar");
    public static readonly Op sub_ = new("aten::sub_", "Tensor");
    public static readonly Op mul_ = new("aten::mul_", "Tensor");
    public static readonly Op mul_s_ = new("aten::mul_", "Scalar");
    public static readonly Op div_ = new("aten::div_", "Tensor");
    public static readonly Op div_s_ = new("aten::div_", "Scalar");
    public static readonly Op addcmul_ = new("aten::addcmul_");
    public static readonly Op addcdiv_ = new("aten::addcdiv_");
    public static readonly Op lerp_s_ = new("aten::lerp_", "Scalar");
    public static readonly Op clamp_ = new("aten::clamp_");
    public static readonly Op sqrt_ = new("aten::sqrt_");
    public static readonly Op normal_ = new("aten::normal_");
    public static readonly Op uniform_ = new("aten::uniform_");
    public static readonly Op maximum_out = new("aten::maximum", "out");
    public static readonly Op bernoulli_p = new("aten::bernoulli", "p");

    public static readonly Op exp = new("aten::exp");
    public static readonly Op log = new("aten::log");
    public static readonly Op log1p = new("aten::log1p");
    public static readonly Op sqrt = new("aten::sqrt");
    public static readonly Op rsqrt = new("aten::rsqrt");
    public static readonly Op abs = new("aten::abs");
    public static readonly Op neg = new("aten::neg");
    public static readonly Op sign = new("aten::sign");
    public static readonly Op floor = new("aten::floor");
    public static readonly Op ceil = new("aten::ceil");
    public static readonly Op round = new("aten::round");
    public static readonly Op sin = new("aten::sin");
    public static readonly Op cos = new("aten::cos");
    public static readonly Op reciprocal = new("aten::reciprocal");
    public static readonly Op sigmoid = new("aten::sigmoid");
    public static readonly Op tanh = new("aten::tanh");
    public static readonly Op clamp = new("aten::clamp");
    public static readonly Op clamp_t = new("aten::clamp", "Tensor");
    public static readonly Op where = new("aten::where", "self");
    public static readonly Op maximum = new("aten::maximum");
    public static readonly Op minimum = new("aten::minimum");
    public static readonly Op isnan = new("aten::isnan");
    public static readonly Op isfinite = new("aten::isfinite");

    // comparison and logic
    public static readonly Op eq = new("aten::eq", "Tensor");
    public static readonly Op eq_s = new("aten::eq", "Scalar");
    public static readonly Op ne = new("aten::ne", "Tensor");
    public static readonly Op ne_s = new("aten::ne", "Scalar");
    public static readonly Op lt = new("aten::lt", "Tensor");
    public static readonly Op lt_s = new("aten::lt", "Scalar");
    public static readonly Op le = new("aten::le", "Tensor");
    public static readonly Op le_s = new("aten::le", "Scalar");
    public static readonly Op gt = new("aten::gt", "Tensor");
    public static readonly Op gt_s = new("aten::gt", "Scalar");
    public static readonly Op ge = new("aten::ge", "Tensor");
    public static readonly Op ge_s = new("aten::ge", "Scalar");
    public static readonly Op logical_and = new("aten::logical_and");
    public static readonly Op logical_or = new("aten::logical_or");
    public static readonly Op logical_xor = new("aten::logical_xor");
    public static readonly Op logical_not = new("aten::logical_not");
    public static readonly Op allclose = new("aten::allclose");
    public static readonly Op equal = new("aten::equal");
    public static readonly Op any = new("aten::any");
    public static readonly Op all = new("aten::all");

    // reductions
    public static readonly Op sum = new("aten::sum");
    public static readonly Op sum_dim = new("aten::sum", "dim_IntList");
    public static readonly Op mean = new("aten::mean");
    public static readonly Op mean_dim = new("aten::mean", "dim");
    public static readonly Op var_dim = new("aten::var", "dim");
    public static readonly Op std_dim = new("aten::std", "dim");
    public static readonly Op max = new("aten::max");
    public static readonly Op max_dim = new("aten::max", "dim");
    public static readonly Op min = new("aten::min");
    public static readonly Op min_dim = new("aten::min", "dim");
    public static readonly Op argmax = new("aten::argmax");
    public static readonly Op argmin = new("aten::argmin");
    public static readonly Op topk = new("aten::topk");
    public static readonly Op sort = new("aten::sort");
    public static readonly Op cumsum = new("aten::cumsum");
    public static readonly Op norm = new("aten::linalg_vector_norm");

    // linear algebra
    public static readonly Op matmul = new("aten::matmul");
    public static readonly Op mm = new("aten::mm");
    public static readonly Op bmm = new("aten::bmm");
    public static readonly Op einsum = new("aten::einsum");
    public static readonly Op linalg_eigh = new("aten::linalg_eigh");
    public static readonly Op linalg_svd = new("aten::linalg_svd");
    public static readonly Op linalg_cholesky = new("aten::linalg_cholesky");
    public static readonly Op linalg_qr = new("aten::linalg_qr");
    public static readonly Op linalg_solve_triangular = new("aten::linalg_solve_triangular");

    // neural-network functions
    public static readonly Op linear = new("aten::linear");
    public static readonly Op conv3d = new("aten::conv3d");
    public static readonly Op conv_transpose3d = new("aten::conv_transpose3d", "input");
    public static readonly Op max_pool3d = new("aten::max_pool3d");
    public static readonly Op avg_pool3d = new("aten::avg_pool3d");
    public static readonly Op adaptive_avg_pool3d = new("aten::adaptive_avg_pool3d");
    public static readonly Op adaptive_max_pool3d = new("aten::adaptive_max_pool3d");
    public static readonly Op batch_norm = new("aten::batch_norm");
    public static readonly Op instance_norm = new("aten::instance_norm");
    public static readonly Op group_norm = new("aten::group_norm");
    public static readonly Op layer_norm = new("aten::layer_norm");
    public static readonly Op upsample_trilinear3d = new("aten::upsample_trilinear3d", "vec");
    public static readonly Op upsample_nearest3d = new("aten::upsample_nearest3d", "vec");
    public static readonly Op softmax = new("aten::softmax", "int");
    public static readonly Op log_softmax = new("aten::log_softmax", "int");
    public static readonly Op relu = new("aten::relu");
    public static readonly Op relu_ = new("aten::relu_");
    public static readonly Op leaky_relu = new("aten::leaky_relu");
    public static readonly Op leaky_relu_ = new("aten::leaky_relu_");
    public static readonly Op prelu = new("aten::prelu");
    public static readonly Op gelu = new("aten::gelu");
    public static readonly Op elu = new("aten::elu");
    public static readonly Op silu = new("aten::silu");
    public static readonly Op dropout = new("aten::dropout");
    public static readonly Op feature_dropout = new("aten::feature_dropout");
    public static readonly Op cross_entropy_loss = new("aten::cross_entropy_loss");
    public static readonly Op nll_loss_nd = new("aten::nll_loss_nd");
    public static readonly Op bce_with_logits = new("aten::binary_cross_entropy_with_logits");
    public static readonly Op mse_loss = new("aten::mse_loss");
    public static readonly Op l1_loss = new("aten::l1_loss");
    public static readonly Op grid_sampler = new("aten::grid_sampler");
    public static readonly Op one_hot = new("aten::one_hot");
}
