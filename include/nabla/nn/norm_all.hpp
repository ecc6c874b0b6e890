// The normalisation, channel-dropout and resampling layers in one include (BatchNorm1d/2d,
// LayerNorm, Dropout2d, Upsample and their functional forms); nabla.hpp includes it.
#pragma once

#include <nabla/nn/dropout2d.hpp>
#include <nabla/nn/norm_functional.hpp>
#include <nabla/nn/normalization.hpp>
#include <nabla/nn/upsample.hpp>
