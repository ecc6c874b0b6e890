// Everything for convolutional networks in one include: the convolution and pooling layers and
// their functional forms, skip connections (BasicBlock, Residual, concat_channels), Unflatten and
// the ready-made models (LeNet-5, small VGG and ResNet, U-Net); nabla.hpp includes this.
#pragma once

#include <nabla/nn/cnn_models.hpp>
#include <nabla/nn/conv.hpp>
#include <nabla/nn/conv_functional.hpp>
#include <nabla/nn/pooling.hpp>
#include <nabla/nn/residual.hpp>
#include <nabla/nn/unflatten.hpp>
